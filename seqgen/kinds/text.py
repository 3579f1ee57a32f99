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

from seqgen.config import text as text_config
from seqgen.data import tbptt
from seqgen.data import text as text_data
from seqgen.data.vocab import Vocab
from seqgen.kinds import base
from seqgen.models import generate, lstm
from seqgen.models.text import TextModel

PRIME_FROM_VALID = 64  # symbols of the validation text used as default prime


class Kind(base.Base):
    units = "chars"
    splits: text_data.TextSplits | None = None

    def from_meta(self, meta: dict) -> None:
        self.vocab = Vocab.from_dict(meta["vocab"])
        self.units = "words" if self.vocab.level == "word" else "chars"

    @classmethod
    def default_config(cls) -> ml_collections.ConfigDict:
        return text_config.base()

    @classmethod
    def example_meta(cls, config: ml_collections.ConfigDict, *, vocab: int = 205,
                     **sizes: int) -> dict:
        """A byte vocabulary of `vocab` symbols (enwik8 has 205)."""
        return {"vocab": Vocab("byte", tuple(range(vocab))).to_dict()}

    def example_batch(self, batch_size: int, length: int | None = None,
                      **sizes: int) -> dict[str, np.ndarray]:
        T = length or self.config.seq_len
        ids_BxT1 = np.random.default_rng(0).integers(
            0, self.vocab.size, size=(batch_size, T + 1)).astype(np.int32)
        return {"inputs": ids_BxT1[:, :-1], "targets": ids_BxT1[:, 1:],
                "reset": np.zeros(batch_size, bool)}

    # -- data ---------------------------------------------------------------

    def load_data(self) -> None:
        self.splits = text_data.load_text(self.config.data)
        self.meta = {
            "vocab": self.splits.vocab.to_dict(),
            "dataset": self.splits.name,
            "tokens": {s: int(len(getattr(self.splits, s)))
                       for s in ("train", "valid", "test")},
        }
        self.from_meta(self.meta)

    def make_batcher(self, process_index: int, process_count: int) -> tbptt.TBPTTBatcher:
        c = self.config
        return tbptt.TBPTTBatcher(
            self.splits.train, c.batch_size, c.seq_len, seed=c.seed,
            reset_every=c.data.reset_every, process_index=process_index,
            process_count=process_count)

    def eval_batches(self, split: str, batch_size: int, process_index: int,
                     process_count: int) -> Iterator[dict[str, np.ndarray]]:
        return tbptt.eval_batches(getattr(self.splits, split), batch_size,
                                  self.config.seq_len, process_index=process_index,
                                  process_count=process_count)

    # -- model and loss -------------------------------------------------------

    def build_model(self, rngs: nnx.Rngs) -> TextModel:
        m = self.config.model
        return TextModel(self.vocab.size, hidden=m.hidden, num_layers=m.num_layers,
                         embed_dim=m.embed_dim, skip=m.skip, opts=lstm.LSTMOptions.from_config(m),
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
        # Mean nats per symbol (what dynamic evaluation descends); the train
        # step differentiates sums['nll'] instead (seqgen/steps.py).
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
        prime = opts["prime"] or generate.newline_or_first_symbol(self.vocab)
        length = opts["length"] or self.config.sample.length
        ids = generate.sample_text(model, self.vocab, prime, length, opts["temperature"],
                                 jax.random.key(opts["seed"]), num_samples=opts["num"])
        texts = [prime + self.vocab.decode(row) for row in ids]
        if len(texts) == 1:
            return texts[0]
        return "\n".join(f"=== sample {i} ===\n{t}" for i, t in enumerate(texts))

    def write_samples(self, model: TextModel, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        c = self.config.sample
        prime = self.default_prime()
        ids = generate.sample_text(model, self.vocab, prime, c.length,
                                 c.temperature, rng, num_samples=c.num_samples)
        texts = [self.vocab.decode(row) for row in ids]
        out = pathlib.Path(workdir) / "samples"
        out.mkdir(parents=True, exist_ok=True)
        body = "".join(f"=== sample {i} (temperature {c.temperature}) ===\n"
                       f"[prime]{prime}[/prime]{t}\n\n" for i, t in enumerate(texts))
        (out / f"step_{step:07d}.txt").write_text(body, encoding="utf-8")
        return {"summary": texts[0]}
