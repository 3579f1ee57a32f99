"""Text prediction (Graves §3): next-symbol softmax over bytes, chars or words.

Dimension letters: B batch, T time, V vocabulary.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from flax import nnx

from seqgen import sample
from seqgen.data import tbptt
from seqgen.data import text as text_data
from seqgen.data.vocab import Vocab
from seqgen.models import lstm
from seqgen.models.text import TextModel

PRIME_FROM_VALID = 64  # symbols of the validation text used as default prime


def lstm_options(model_config: ml_collections.ConfigDict) -> lstm.LSTMOptions:
    m = model_config
    return lstm.LSTMOptions(
        peepholes=m.peepholes, forget_bias=m.forget_bias, init_scale=m.init_scale,
        clip_preactivations=m.clip_preactivations or None,
        matmul_dtype=m.matmul_dtype, unroll=m.unroll)


class Kind:
    units = "chars"

    def __init__(self, config: ml_collections.ConfigDict, meta: dict | None = None):
        self.config = config
        self.meta = meta or {}
        self.splits: text_data.TextSplits | None = None
        if meta:
            self.vocab = Vocab.from_dict(meta["vocab"])
            self.units = "words" if self.vocab.level == "word" else "chars"

    # -- data ---------------------------------------------------------------

    def load_data(self) -> None:
        c = self.config
        self.splits = text_data.load_text(c.data)
        self.vocab = self.splits.vocab
        self.units = "words" if self.vocab.level == "word" else "chars"
        self.meta = {
            "vocab": self.vocab.to_dict(),
            "dataset": self.splits.name,
            "tokens": {s: int(len(getattr(self.splits, s)))
                       for s in ("train", "valid", "test")},
        }
        self._batchers: dict = {}

    def _batcher(self, process_index: int, process_count: int) -> tbptt.TBPTTBatcher:
        key = (process_index, process_count)
        if key not in self._batchers:
            c = self.config
            self._batchers[key] = tbptt.TBPTTBatcher(
                self.splits.train, c.batch_size, c.seq_len, seed=c.seed,
                reset_every=c.data.reset_every, process_index=process_index,
                process_count=process_count)
        return self._batchers[key]

    def train_batch(self, step: int, process_index: int, process_count: int
                    ) -> dict[str, np.ndarray]:
        return self._batcher(process_index, process_count).batch(step)

    def windows_per_epoch(self) -> int:
        return self._batcher(0, 1).windows_per_epoch

    def eval_batches(self, split: str, batch_size: int, process_index: int,
                     process_count: int) -> Iterator[dict[str, np.ndarray]]:
        return tbptt.eval_batches(getattr(self.splits, split), batch_size,
                                  self.config.seq_len, process_index=process_index,
                                  process_count=process_count)

    # -- model and loss -------------------------------------------------------

    def build_model(self, rngs: nnx.Rngs) -> TextModel:
        m = self.config.model
        return TextModel(self.vocab.size, hidden=m.hidden, num_layers=m.num_layers,
                         embed_dim=m.embed_dim, skip=m.skip, opts=lstm_options(m),
                         clip_outputs=m.clip_outputs or None, rngs=rngs)

    def loss_fn(self, model: TextModel, carry, batch: dict):
        logits_BxTxV, carry = model(batch["inputs"], carry)
        targets_BxT = batch["targets"]
        nll_BxT = optax.softmax_cross_entropy_with_integer_labels(
            logits_BxTxV, targets_BxT)
        mask_BxT = batch.get("mask", jnp.ones_like(nll_BxT))
        correct_BxT = jnp.argmax(logits_BxTxV, -1) == targets_BxT
        sums = {"nll": jnp.sum(nll_BxT * mask_BxT), "count": jnp.sum(mask_BxT),
                "errors": jnp.sum((~correct_BxT) * mask_BxT)}
        # Mean nats per symbol: the step size is then independent of B and T.
        loss = sums["nll"] / jnp.maximum(sums["count"], 1.0)
        return loss, (sums, carry)

    def report(self, sums: dict) -> dict[str, float]:
        nats = float(sums["nll"]) / max(float(sums["count"]), 1.0)
        out = {"nats": nats, "error_pct": 100.0 * float(sums["errors"])
               / max(float(sums["count"]), 1.0)}
        if self.vocab.level == "word":
            out["ppl"] = math.exp(min(nats, 50.0))
        else:
            out["bpc"] = nats / math.log(2.0)
        return out

    # -- samples --------------------------------------------------------------

    def default_prime(self) -> str:
        c = self.config.sample
        if c.prime:
            return c.prime
        if self.splits is not None:
            return self.vocab.decode(self.splits.valid[:PRIME_FROM_VALID])
        return self.vocab.decode([0])

    def sample_command(self, model: TextModel, opts: dict) -> str:
        """`python -m seqgen.sample` for text: the prime and its continuations."""
        prime = opts["prime"] or sample.newline_or_first_symbol(self.vocab)
        length = opts["length"] or self.config.sample.length
        ids = sample.sample_text(model, self.vocab, prime, length, opts["temperature"],
                                 jax.random.key(opts["seed"]), num_samples=opts["num"])
        texts = [prime + self.vocab.decode(row) for row in ids]
        if len(texts) == 1:
            return texts[0]
        return "\n".join(f"=== sample {i} ===\n{t}" for i, t in enumerate(texts))

    def write_samples(self, model: TextModel, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        c = self.config.sample
        prime = self.default_prime()
        ids = sample.sample_text(model, self.vocab, prime, c.length,
                                 c.temperature, rng, num_samples=c.num_samples)
        texts = [self.vocab.decode(row) for row in ids]
        out = pathlib.Path(workdir) / "samples"
        out.mkdir(parents=True, exist_ok=True)
        body = "".join(f"=== sample {i} (temperature {c.temperature}) ===\n"
                       f"[prime]{prime}[/prime]{t}\n\n" for i, t in enumerate(texts))
        (out / f"step_{step:07d}.txt").write_text(body, encoding="utf-8")
        return {"summary": texts[0]}
