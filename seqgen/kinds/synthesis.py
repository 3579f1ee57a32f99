"""Handwriting synthesis (Graves §5): the network writes a given text through
a soft attention window over its characters.

Data, metrics and the loss are those of handwriting prediction
(kinds/handwriting.py) plus each line's transcription. At every evaluation
the model writes the texts of held-out validation lines (text it never
trained on) and reports the alignment rate: the share of lines whose window
advanced monotonically and reached the end of the text, so that Graves'
stop rule fired before the length cap.

Dimension letters: B lines, T time, U characters, K window components,
Y = 6M+1 mixture outputs.
"""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from flax import nnx

from seqgen.command.errors import UserError
from seqgen.config import handwriting as handwriting_config
from seqgen.data import handwriting as hw_data
from seqgen.data import strokes
from seqgen.handwriting import error_rates, legibility, render
from seqgen.kinds import base, handwriting, load_trained
from seqgen.models import generate, lstm, mdn
from seqgen.models.synthesis import SynthesisModel

ALIGN_LINES = 32  # validation lines written at each evaluation to measure alignment


@nnx.jit
def _nats_per_point(model: SynthesisModel, batch: dict) -> jax.Array:
    y_BxTxY, _, _, _ = model(batch["inputs"], batch["chars"], batch["char_mask"],
                             model.init_carry(batch["inputs"].shape[0]))
    ll_BxT = mdn.log_likelihood(y_BxTxY, batch["targets"])
    return -jnp.sum(ll_BxT * batch["mask"]) / jnp.maximum(jnp.sum(batch["mask"]), 1.0)


class Kind(handwriting.Transcribed):
    @classmethod
    def default_config(cls) -> ml_collections.ConfigDict:
        return handwriting_config.synthesis_base()

    # -- model and loss -------------------------------------------------------

    def build_model(self, rngs: nnx.Rngs) -> SynthesisModel:
        m = self.config.model
        return SynthesisModel(
            alphabet_size=self.alphabet.size, hidden=m.hidden, num_layers=m.num_layers,
            num_mixtures=m.num_mixtures, num_window=m.num_window, skip=m.skip,
            opts=lstm.LSTMOptions.from_config(m), clip_outputs=m.clip_outputs or None,
            kappa_step=1.0 / m.points_per_char, rngs=rngs)

    def loss_fn(self, model: SynthesisModel, carry, batch: dict):
        y_BxTxY, carry, _, _ = model(batch["inputs"], batch["chars"], batch["char_mask"],
                                     carry)
        return self.mixture_loss(y_BxTxY, batch, carry)

    def text_gain(self, model: SynthesisModel) -> float:
        """Nats per point that a line's own text saves over another line's text.

        Teacher-forced on the first validation batch, each line is scored with
        its own transcription and with its neighbour's (texts rolled by one
        across the batch). Near 0 the network ignores the window and writes
        generic handwriting; it grows as the letters become legible.
        """
        batch = next(iter(self.eval_batches("valid", ALIGN_LINES, 0, 1)))
        wrong = dict(batch, chars=np.roll(batch["chars"], 1, 0),
                     char_mask=np.roll(batch["char_mask"], 1, 0))
        return float(_nats_per_point(model, wrong) - _nats_per_point(model, batch))

    # -- writing --------------------------------------------------------------

    def write(self, model: SynthesisModel, texts: list[str], bias: float, rng: jax.Array,
              prime: tuple[np.ndarray, str] | None = None, *, chars: int | None = None
              ) -> dict:
        """Write each text as one line: strokes in raw units plus alignment.
        `chars` (>= the longest text) sizes the length cap and the padding
        as if the longest text had that many characters, so that a server
        compiles one sampler per bucket of text lengths, not per length."""
        c = self.config
        prime_text = prime[1] + " " if prime else ""
        full = [prime_text + t for t in texts]
        longest = max(chars or 0, max(len(t) for t in texts))
        bucket = c.data.char_bucket
        # one id per character
        pad_to = -(-max(len(prime_text) + longest, max(len(t) for t in full)) // bucket) * bucket
        chars_BxU, mask_BxU = hw_data.text_batch(full, self.alphabet, pad_to)
        cap = int(c.sample.points_per_char_cap * longest)
        start = strokes.normalise(np.zeros((1, 3), np.float32), self.stats)[0]
        # The sampler teacher-forces all prime rows; the last one is the input
        # of the first written point.
        prime_x = strokes.normalise(prime[0], self.stats) if prime else None
        out = generate.write_strokes(model, start, jnp.asarray(chars_BxU),
                                   jnp.asarray(mask_BxU), bias=bias, max_points=cap,
                                   rng=rng, prime_x_PxBx3=prime_x,
                                   prime_chars=len(prime_text))
        out = jax.device_get(out)
        # Unprimed, the pen starts down at the origin; after a prime it is up
        # (the prime ends a stroke), so the line starts at the first written point.
        origin = np.zeros((0 if prime else 1, 3), np.float32)
        lines = []
        for b in range(len(texts)):
            n = int(out["length_B"][b])
            x = np.asarray(out["strokes_BxLx3"][b, :n])
            line = np.concatenate([origin, x]) if len(origin) + n else np.zeros((1, 3))
            lines.append(strokes.denormalise(line.astype(np.float32), self.stats))
        kappa = np.asarray(out["kappa_BxLxK"])
        u_B = mask_BxU.sum(1)
        first = len(prime_text)
        aligned = []
        for b in range(len(texts)):
            n = int(out["length_B"][b])
            centre_T = kappa[b, :n].mean(-1)
            monotonic = bool(np.all(np.diff(centre_T) >= -1e-6))
            aligned.append(bool(out["stopped_B"][b]) and monotonic
                           and centre_T[-1] >= first + 0.9 * (u_B[b] - first))
        return {"lines": lines, "phi": out["phi_BxLxU"], "kappa": kappa,
                "length": out["length_B"], "stopped": out["stopped_B"],
                "aligned": np.array(aligned), "texts": texts}

    def write_samples(self, model: SynthesisModel, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        c = self.config.sample
        out = pathlib.Path(workdir) / "samples"
        out.mkdir(parents=True, exist_ok=True)
        texts = [t for t in self.splits.valid.texts[:ALIGN_LINES] if t.strip()]
        written = self.write(model, texts, c.bias, rng)
        shown = slice(0, c.num_samples)
        render.save_lines(out / f"step_{step:07d}", written["lines"][shown], texts[shown])
        n = int(written["length"][0])
        u = len(self.alphabet.encode(texts[0]))
        from seqgen.handwriting import plots  # matplotlib: ~1 s to import
        plots.alignment(np.asarray(written["phi"][0, :n, :u + 1]), texts[0],
                        points_Tx2=strokes.to_absolute(written["lines"][0])[1:],
                        eos_T=written["lines"][0][1:, 2],
                        path=out / f"alignment_step_{step:07d}.png")
        plots.kappa(np.asarray(written["kappa"][0, :n]), u,
                    path=out / f"kappa_step_{step:07d}.png")
        rate = float(np.mean(written["aligned"]))
        gain = self.text_gain(model)
        logging.info("alignment: %d of %d validation lines aligned (stop rule fired %d)",
                     int(np.sum(written["aligned"])), len(texts),
                     int(np.sum(written["stopped"])))
        out = {"summary": f"wrote {len(texts)} validation texts; aligned {rate:.0%}; "
                          f"the true text saves {gain:.3f} nats/point",
               "alignment_rate": rate, "text_gain_nats_per_point": gain,
               "stop_rate": float(np.mean(written["stopped"]))}
        if self.config.get("eval") and self.config.eval.get("recogniser"):
            out.update(self.legibility(written["lines"], texts))
            out["summary"] += (f"; read back: CER {out['written_cer']:.1%}, "
                               f"WER {out['written_wer']:.1%}")
        return out

    def legibility(self, lines: list[np.ndarray], texts: list[str]) -> dict[str, float]:
        """CER / WER of the recogniser that config.eval.recogniser names
        reading `lines` back; the worst lines go to the log."""
        if getattr(self, "_reader", None) is None:
            reader, reader_model, _, _ = load_trained(self.config.eval.recogniser)
            if not isinstance(reader, base.Reader):
                raise UserError(f"config.eval.recogniser={self.config.eval.recogniser} is a "
                                f"{reader.config.kind!r} run; name a recognition run")
            self._reader = (reader, reader_model)
        errors, pairs = legibility.read_back(*self._reader, self.meta, lines, texts)
        worst = sorted(pairs, key=lambda p: -error_rates.counts(*p).cer)[:3]
        for asked, read in worst:
            logging.info("legibility: asked %r, read %r", asked, read)
        return {"written_cer": errors.cer, "written_wer": errors.wer}

    def sample_command(self, model: SynthesisModel, opts: dict) -> str:
        raise UserError("a synthesis model writes given text: use python -m seqgen.write "
                        "--workdir=... --text='...'")

