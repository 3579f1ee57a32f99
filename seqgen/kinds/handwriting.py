"""Handwriting prediction (Graves §4): a mixture density over the next pen
offset, trained on whole lines of IAM-OnDB or drawn handwriting.

Metrics (Graves Table 3): the negative log-likelihood in nats per line (his
headline: -1041.0 for 3x400 on IAM-OnDB validation) and per point, and the
sum-squared error of the predicted mean offset per point, all in the units
of the normalised offsets (mean 0, std 1 over the training points).

Dimension letters: B lines, T time, Y = 6M+1 mixture outputs, M components.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from flax import nnx

from seqgen.command.errors import ConfigError, UserError
from seqgen.config import handwriting as handwriting_config
from seqgen.data import epochs, strokes
from seqgen.data import handwriting as hw_data
from seqgen.data.transcripts import Alphabet
from seqgen.handwriting import render
from seqgen.kinds import base
from seqgen.models import generate, lstm, mdn
from seqgen.models.handwriting import PredictionModel


class Kind(base.Base):
    units = "points"
    splits: strokes.HandwritingSplits | None = None
    _epoch_lines: epochs.EpochLines | None = None  # data.redraw_every_epoch

    def from_meta(self, meta: dict) -> None:
        self.stats = strokes.OffsetStats.from_dict(meta["stats"])

    @classmethod
    def default_config(cls) -> ml_collections.ConfigDict:
        return handwriting_config.base()

    @classmethod
    def example_meta(cls, config: ml_collections.ConfigDict, **sizes: int) -> dict:
        """Offsets already normalised: mean 0, std 1."""
        return {"stats": {"mean": [0.0, 0.0], "std": [1.0, 1.0]}}

    def example_batch(self, batch_size: int, length: int | None = None,
                      **sizes: int) -> dict[str, np.ndarray]:
        """Gaussian offsets with a 5% end-of-stroke rate, `length` points
        (default config.sample.length, a typical line), every row a whole line."""
        T = length or self.config.sample.length
        rng = np.random.default_rng(0)
        pts_BxT1x3 = rng.normal(size=(batch_size, T + 1, 3)).astype(np.float32)
        pts_BxT1x3[..., 2] = rng.random((batch_size, T + 1)) < 0.05
        batch = {"inputs": pts_BxT1x3[:, :-1], "targets": pts_BxT1x3[:, 1:],
                 "mask": np.ones((batch_size, T), np.float32),
                 "reset": np.ones(batch_size, bool)}
        return {**batch, **self.example_text(rng, batch_size, **sizes)}

    def example_text(self, rng: np.random.Generator, batch_size: int,
                     **sizes: int) -> dict[str, np.ndarray]:
        """Extra example-batch arrays for the lines' texts; prediction has none."""
        return {}

    # -- data ---------------------------------------------------------------

    def load_data(self) -> None:
        c = self.config
        self.splits = hw_data.load_handwriting(c.data)
        held_out = [w for w in c.data.get("held_out_writers", "").split(",") if w.strip()]
        if held_out:
            self.splits = hw_data.hold_out_writers(self.splits, [w.strip() for w in held_out])
        dropped = {s: len(getattr(self.splits, s).lines) - len(hw_data.keep_short(
            getattr(self.splits, s).lines, c.data.max_points)) for s in ("train", "valid", "test")}
        if any(dropped.values()):
            logging.warning("lines longer than config.data.max_points=%d are left out: %s",
                            c.data.max_points, dropped)
        self.meta = {
            "stats": self.splits.stats.to_dict(), "dataset": self.splits.name,
            "lines": {s: len(getattr(self.splits, s).lines) for s in ("train", "valid", "test")},
            "dropped_long_lines": dropped, "info": self.splits.info,
        }
        self.stats = self.splits.stats
        if c.data.get("redraw_every_epoch", False) and self.splits.redraw_train is None:
            raise ConfigError(f"config.data.redraw_every_epoch=True: the {self.splits.name!r} "
                              "dataset cannot draw its lines anew (only 'drawn' can); set it "
                              "False")

    def make_batcher(self, process_index: int, process_count: int) -> hw_data.LineBatcher:
        c = self.config
        epoch_lines = None
        if c.data.get("redraw_every_epoch", False):  # .get: configs saved before the field
            if self._epoch_lines is None:  # one per kind, shared by its batchers
                redraw = self.splits.redraw_train
                self._epoch_lines = epochs.EpochLines(
                    self.splits.train.lines, lambda epoch: redraw(epoch).lines)
            epoch_lines = self._epoch_lines
        return hw_data.LineBatcher(
            self.splits.train.lines, self.stats, c.batch_size,
            max_points=c.data.max_points, bucket=c.data.bucket, seed=c.seed,
            augment=c.data.augment, process_index=process_index,
            process_count=process_count, epoch_lines=epoch_lines, **self.text_args("train"))

    def text_args(self, split: str) -> dict:
        """Extra batcher arguments for the lines' texts; prediction has none."""
        return {}

    def eval_batches(self, split: str, batch_size: int, process_index: int,
                     process_count: int) -> Iterator[dict[str, np.ndarray]]:
        return hw_data.eval_batches(
            getattr(self.splits, split).lines, self.stats, batch_size,
            max_points=self.config.data.max_points, bucket=self.config.data.bucket,
            process_index=process_index, process_count=process_count,
            **self.text_args(split))

    # -- model and loss -------------------------------------------------------

    def build_model(self, rngs: nnx.Rngs) -> PredictionModel:
        m = self.config.model
        return PredictionModel(hidden=m.hidden, num_layers=m.num_layers,
                               num_mixtures=m.num_mixtures, skip=m.skip,
                               opts=lstm.LSTMOptions.from_config(m),
                               clip_outputs=m.clip_outputs or None, rngs=rngs)

    def loss_fn(self, model: PredictionModel, carry, batch: dict):
        y_BxTxY, carry = model(batch["inputs"], carry)
        return self.mixture_loss(y_BxTxY, batch, carry)

    def mixture_loss(self, y_BxTxY: jax.Array, batch: dict, carry):
        """Mean NLL per point and the sums behind every reported metric."""
        targets_BxTx3, mask_BxT = batch["targets"], batch["mask"]
        ll_BxT = mdn.log_likelihood(y_BxTxY, targets_BxTx3)
        err_BxT = jnp.sum((mdn.mean_offset(y_BxTxY) - targets_BxTx3[..., :2]) ** 2, -1)
        sums = {"nll": -jnp.sum(ll_BxT * mask_BxT), "count": jnp.sum(mask_BxT),
                "sse": jnp.sum(err_BxT * mask_BxT),
                "lines": jnp.sum(jnp.max(mask_BxT, axis=1))}
        # Mean nats per point (what dynamic evaluation descends); the train
        # step differentiates sums['nll'] and averages over lines, as Graves
        # (seqgen/steps.py). Reported per line as well.
        loss = sums["nll"] / jnp.maximum(sums["count"], 1.0)
        return loss, (sums, carry)

    def report(self, sums: dict) -> dict[str, float]:
        """Nats per point and per line in the normalised offsets the model
        reads (unit std, as Graves trained and reported), the same in the
        data's raw units (raw_*: the density of a raw offset is the normalised
        one over sigma_x sigma_y, so each point adds log(sigma_x sigma_y)), and
        the squared error of the mean offset per point (normalised)."""
        count, lines = max(float(sums["count"]), 1.0), max(float(sums["lines"]), 1.0)
        nll = float(sums["nll"])
        raw_nll = nll + float(sums["count"]) * float(np.log(np.prod(self.stats.std)))
        return {"nats_per_point": nll / count, "nats_per_line": nll / lines,
                "sse_per_point": float(sums["sse"]) / count,
                "raw_nats_per_point": raw_nll / count, "raw_nats_per_line": raw_nll / lines}

    # -- samples --------------------------------------------------------------

    def sample_lines(self, model: PredictionModel, num: int, length: int, bias: float,
                 rng: jax.Array) -> list[np.ndarray]:
        """`num` unconditional lines of `length` points, in raw units."""
        start = strokes.normalise(np.zeros((1, 3), np.float32), self.stats)[0]
        x_BxTx3 = generate.sample_strokes(model, start, num, length, bias, rng)
        return [strokes.denormalise(np.concatenate([np.zeros((1, 3), np.float32), x]),
                                    self.stats) for x in x_BxTx3]

    def write_samples(self, model: PredictionModel, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        c = self.config.sample
        out = pathlib.Path(workdir) / "samples"
        out.mkdir(parents=True, exist_ok=True)
        lines = self.sample_lines(model, c.num_samples, c.length, c.bias, rng)
        svg, _ = render.save_lines(out / f"step_{step:07d}", lines)
        if self.splits is not None and len(self.splits.valid.lines):
            self.write_density(model, self.splits.valid.lines[0],
                               out / f"density_step_{step:07d}.png")
        return {"summary": f"{len(lines)} lines of {c.length} points (bias {c.bias}) in {svg}"}

    def write_density(self, model: PredictionModel, line_Tx3: np.ndarray,
                      path: pathlib.Path) -> None:
        """Graves' figure 4: the predicted density of each next point along a line."""
        line_Tx3 = line_Tx3[: self.config.data.max_points]
        x_1xTx3 = jnp.asarray(strokes.normalise(line_Tx3, self.stats)[None, :-1])
        y_1xTxY, _ = model(x_1xTx3, model.init_carry(1))
        mix = jax.device_get(mdn.mixture(y_1xTxY[0]))
        mean, std = self.stats.mean, self.stats.std
        points_Tx2 = strokes.to_absolute(line_Tx3)
        # Offsets -> absolute positions of the next point, in raw units.
        mu_TxMx2 = points_Tx2[:-1, None, :] + np.asarray(mix.mu) * std + mean
        sigma_TxMx2 = np.exp(np.asarray(mix.log_sigma)) * std
        from seqgen.handwriting import plots  # matplotlib: ~1 s to import
        plots.density(points_Tx2, line_Tx3[:, 2], mu_TxMx2, sigma_TxMx2,
                      np.asarray(mix.rho), np.asarray(mix.log_pi), path=path)

    def sample_command(self, model: PredictionModel, opts: dict) -> str:
        """`python -m seqgen.sample` for handwriting: lines to --out (SVG + PNG)."""
        lines = self.sample_lines(model, opts["num"], opts["length"] or self.config.sample.length,
                              opts["bias"], jax.random.key(opts["seed"]))
        out = opts["out"] or "samples"
        svg, png = render.save_lines(pathlib.Path(out).with_suffix(""), lines)
        return f"wrote {len(lines)} lines to {svg} and {png}"


class Transcribed(Kind):
    """Lines with their transcriptions: batches also hold each line's text as
    alphabet ids (chars, char_mask); the alphabet is saved in meta. The
    base of the kinds that write text (synthesis) or read it (recognition)."""

    def from_meta(self, meta: dict) -> None:
        super().from_meta(meta)
        self.alphabet = Alphabet.from_dict(meta["alphabet"])

    @classmethod
    def example_meta(cls, config: ml_collections.ConfigDict, *, alphabet: int = 80,
                     **sizes: int) -> dict:
        """An alphabet of `alphabet` ids (padding included; IAM-OnDB has ~80)."""
        chars = [chr(c) for c in range(33, 127)][:alphabet - 1]
        return {**super().example_meta(config), "alphabet": Alphabet(chars).to_dict()}

    def example_text(self, rng: np.random.Generator, batch_size: int, *, chars: int = 40,
                     **sizes: int) -> dict[str, np.ndarray]:
        """Random texts of `chars` characters, no padding."""
        return {"chars": rng.integers(1, self.alphabet.size, size=(batch_size, chars)
                                      ).astype(np.int32),
                "char_mask": np.ones((batch_size, chars), np.float32)}

    # -- data ---------------------------------------------------------------

    def load_data(self) -> None:
        super().load_data()
        # Characters a dataset promises (drawn's mixed texts: digits and their
        # symbols) get ids even when these training lines happen to lack them.
        extra = self.splits.info.get("alphabet_extra", "")
        self.alphabet = Alphabet.from_texts(self.splits.train.texts + ((extra,) if extra else ()),
                                            reduced=self.config.data.reduced_alphabet)
        self.meta["alphabet"] = self.alphabet.to_dict()

    def text_args(self, split: str) -> dict:
        return {"texts": getattr(self.splits, split).texts, "alphabet": self.alphabet,
                "char_bucket": self.config.data.char_bucket}

    def style_line(self, index: int) -> tuple[np.ndarray, str]:
        """(strokes in raw units, text) of validation line `index`."""
        if self.splits is None:
            self.load_data()
        valid = self.splits.valid
        if not 0 <= index < len(valid.lines):
            raise UserError(f"--style={index}: pick 0..{len(valid.lines) - 1}")
        return valid.lines[index], valid.texts[index]
