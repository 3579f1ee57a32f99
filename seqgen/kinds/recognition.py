"""Online handwriting recognition (Graves et al. 2009): read a line's text
from its pen offsets with a deep bidirectional LSTM trained with CTC.

Data are those of synthesis (lines and their transcriptions, the same
alphabet and batches); the network reads each whole line both ways and
puts a distribution over the alphabet plus a blank at every point
(models/recogniser.py); the loss is CTC (below), summed per line.
Reported: nats per line and per character (CTC), and at every evaluation
the character and word error rates of best-path decoding over the whole
validation split (`cer`, `wer`), with a few lines' readings in the log.
`python -m seqgen.read` reads stroke files with a trained run, and a
synthesis run names one in `config.eval.recogniser` to measure how legible
its writing is.

CTC, connectionist temporal classification (Graves et al. 2006): the loss of a
text given per-point class distributions, and best-path decoding.

The loss sums over every alignment of the text to the points (characters
may repeat over consecutive points and be separated by blanks; a repeated
character needs a blank between its copies); optax.ctc_loss computes it
with the forward algorithm. Best-path decoding takes the most likely class
at each point, merges repeats and drops blanks: Graves' fast approximation
to the most likely text (exact when one path dominates, as it does for a
trained recogniser).

Dimension letters: B lines, T points, K alphabet ids (0 = blank), U characters.
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from absl import logging
from flax import nnx

from seqgen.command.errors import UserError
from seqgen.config import handwriting as handwriting_config
from seqgen.data import handwriting as hw_data
from seqgen.handwriting import error_rates, ink
from seqgen.kinds import handwriting
from seqgen.models import lstm
from seqgen.models.recogniser import Recogniser

READ_BATCH = 32  # lines per forward pass when reading
MAX_WRITERS_REPORTED = 10  # a CER per writer is logged when a split has at most this many
BLANK = 0  # the alphabet's padding id, never a character


def ctc_loss(logp_BxTxK: jax.Array, mask_BxT: jax.Array, labels_BxU: jax.Array,
             label_mask_BxU: jax.Array) -> jax.Array:
    """CTC: -log p(text | line) per line [B]; a row with no points and no text
    (batch filler) scores 0."""
    loss_B = optax.ctc_loss(logp_BxTxK, 1.0 - mask_BxT, labels_BxU, 1.0 - label_mask_BxU,
                            blank_id=BLANK)
    present_B = jnp.max(mask_BxT, axis=1) > 0
    return jnp.where(present_B, loss_B, 0.0)


def ctc_best_path(logp_BxTxK: np.ndarray, mask_BxT: np.ndarray) -> list[np.ndarray]:
    """CTC best-path decoding: each line's class ids along its best path,
    repeats merged, blanks dropped."""
    best_BxT = np.argmax(np.asarray(logp_BxTxK), axis=-1)
    out = []
    for b in range(best_BxT.shape[0]):
        path_T = best_BxT[b, : int(np.sum(mask_BxT[b]))]
        if len(path_T) == 0:
            out.append(np.zeros((0,), np.int64))
            continue
        new = np.concatenate([[True], path_T[1:] != path_T[:-1]])
        out.append(path_T[new & (path_T != BLANK)])
    return out


@nnx.jit
def _log_probs(model: Recogniser, x_BxTx3: jax.Array, mask_BxT: jax.Array
               ) -> tuple[jax.Array, jax.Array]:
    return model(x_BxTx3, mask_BxT)


class Kind(handwriting.Transcribed):
    units = "chars"  # throughput counts the targets: characters of the texts read

    @classmethod
    def default_config(cls) -> ml_collections.ConfigDict:
        return handwriting_config.recognition_base()

    def load_data(self) -> None:
        super().load_data()
        # The size and density of the training ink, to fit other ink to (fit_ink).
        lines = self.splits.train.lines[:500]
        self.meta["ink"] = {"height": float(np.median([ink.height(x) for x in lines])),
                            "spacing": float(np.median([ink.spacing(x) for x in lines]))}

    def fit_ink(self, line: np.ndarray) -> np.ndarray:
        """A line from elsewhere at the training lines' height and point spacing."""
        return ink.fit_to(line, target_height=self.meta["ink"]["height"],
                          target_spacing=self.meta["ink"]["spacing"])

    def build_model(self, rngs: nnx.Rngs) -> Recogniser:
        m = self.config.model
        return Recogniser(alphabet_size=self.alphabet.size, hidden=m.hidden,
                          num_layers=m.num_layers, opts=lstm.LSTMOptions.from_config(m),
                          # .get: runs saved before the field existed read 1 point a step
                          points_per_frame=m.get("points_per_frame", 1), rngs=rngs)

    def loss_fn(self, model: Recogniser, carry, batch: dict):
        """The line's offsets are the batch's targets (every point after the
        origin); the CTC loss of its text, summed over lines."""
        logp_BxFxK, mask_BxF = model(batch["targets"], batch["mask"])
        loss_B = ctc_loss(logp_BxFxK, mask_BxF, batch["chars"], batch["char_mask"])
        sums = {"nll": jnp.sum(loss_B), "count": jnp.sum(batch["char_mask"]),
                "points": jnp.sum(batch["mask"]),
                "lines": jnp.sum(jnp.max(batch["mask"], axis=1))}
        return sums["nll"] / jnp.maximum(sums["count"], 1.0), (sums, carry)

    def report(self, sums: dict) -> dict[str, float]:
        nll = float(sums["nll"])
        return {"nats_per_char": nll / max(float(sums["count"]), 1.0),
                "nats_per_line": nll / max(float(sums["lines"]), 1.0)}

    # -- reading --------------------------------------------------------------

    def read(self, model: Recogniser, lines: list[np.ndarray]) -> list[str]:
        """The text of each line (raw units, rows (dx, dy, pen-up), the first
        row the pen's start), by best-path decoding."""
        texts: list[str] = []
        bucket = self.config.data.bucket
        for i in range(0, len(lines), READ_BATCH):
            chunk = lines[i:i + READ_BATCH]
            longest = max(len(line) - 1 for line in chunk)
            pad_to = max(bucket, -(-longest // bucket) * bucket)
            batch = hw_data.make_batch(chunk, self.stats, pad_to)
            logp, mask = jax.device_get(_log_probs(model, jnp.asarray(batch["targets"]),
                                                   jnp.asarray(batch["mask"])))
            texts += [self.alphabet.decode(ids) for ids in ctc_best_path(logp, mask)]
        return texts

    def split_errors(self, model: Recogniser, split: str) -> tuple[
            error_rates.ErrorCounts, dict[str, error_rates.ErrorCounts], list[tuple[str, str]]]:
        """Error counts of reading every kept line of `split`, the same per
        writer, and the (truth, read) pairs in the split's order."""
        if self.splits is None:
            self.load_data()
        data = getattr(self.splits, split)
        keep = hw_data.keep_short(data.lines, self.config.data.max_points)
        truth = [data.texts[i] for i in keep]
        read = self.read(model, [data.lines[i] for i in keep])
        pairs = list(zip(truth, read, strict=True))
        by_writer: dict[str, error_rates.ErrorCounts] = {}
        for i, pair in zip(keep, pairs, strict=True):
            w = data.writers[i]
            by_writer[w] = by_writer.get(w, error_rates.ErrorCounts()) + error_rates.counts(*pair)
        return error_rates.total(pairs), by_writer, pairs

    def _metrics(self, errors, by_writer) -> dict[str, float]:
        out = {"cer": errors.cer, "wer": errors.wer}
        if len(by_writer) <= MAX_WRITERS_REPORTED:  # drawn fonts, not IAM's ~200 writers
            out.update({f"cer_{w}": e.cer for w, e in sorted(by_writer.items())})
        return out

    def read_metrics(self, model: Recogniser, split: str) -> dict[str, float]:
        """CER and WER of `split` (what seqgen.evaluate adds for this kind),
        and the CER of each writer where there are few."""
        errors, by_writer, _ = self.split_errors(model, split)
        return self._metrics(errors, by_writer)

    def write_samples(self, model: Recogniser, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        errors, by_writer, pairs = self.split_errors(model, "valid")
        shown = pairs[: self.config.sample.num_samples]
        out = pathlib.Path(workdir) / "samples"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"read_step_{step:07d}.txt").write_text(
            "".join(f"truth: {t}\nread:  {r}\n\n" for t, r in pairs))
        for truth, read in shown:
            logging.info("read %r as %r", truth, read)
        return {"summary": f"read {len(pairs)} validation lines: CER {errors.cer:.2%}, "
                           f"WER {errors.wer:.2%}", **self._metrics(errors, by_writer)}

    def sample_command(self, model: Recogniser, opts: dict) -> str:
        raise UserError("a recognition model reads handwriting: use python -m seqgen.read "
                        "--workdir=... --strokes=FILE")

