"""A kind from outside the package (config.kind = 'toy_plugins.toy_kind'):
next-symbol prediction of a repeating pattern made in memory.

Nothing in seqgen/ names it; kinds.get imports it by its module path.
"""

from __future__ import annotations

import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from seqgen.config import common as common_config
from seqgen.data import tbptt
from seqgen.kinds import base
from seqgen.models import lstm
from seqgen.models.text import TextModel

PATTERN = (0, 1, 2, 3, 2, 1)


class Kind(base.Base):
    units = "symbols"

    @classmethod
    def default_config(cls) -> ml_collections.ConfigDict:
        c = common_config.base()
        c.kind = __name__
        c.seq_len = 6  # T symbols per window
        c.data = ml_collections.ConfigDict({"length": 3000})  # symbols in the pattern stream
        return c

    @classmethod
    def example_meta(cls, config, **sizes) -> dict:
        return {"vocab": 4}

    def from_meta(self, meta: dict) -> None:
        self.vocab = meta["vocab"]

    def example_batch(self, batch_size: int, length: int | None = None, **sizes) -> dict:
        ids = np.random.default_rng(0).integers(0, self.vocab, (batch_size, (length or 6) + 1))
        return {"inputs": ids[:, :-1].astype(np.int32), "targets": ids[:, 1:].astype(np.int32),
                "reset": np.zeros(batch_size, bool)}

    def load_data(self) -> None:
        n = self.config.data.length
        self.tokens = np.resize(np.array(PATTERN, np.uint8), n)
        self.meta = {"vocab": 4}
        self.from_meta(self.meta)

    def make_batcher(self, process_index: int, process_count: int) -> tbptt.TBPTTBatcher:
        c = self.config
        return tbptt.TBPTTBatcher(self.tokens, c.batch_size, c.seq_len, seed=c.seed,
                                  process_index=process_index, process_count=process_count)

    def eval_batches(self, split, batch_size, process_index, process_count):
        return tbptt.eval_batches(self.tokens[:600], batch_size, self.config.seq_len,
                                  process_index=process_index, process_count=process_count)

    def build_model(self, rngs):
        m = self.config.model
        return TextModel(self.vocab, hidden=m.hidden, num_layers=m.num_layers, skip=m.skip,
                         opts=lstm.LSTMOptions.from_config(m), rngs=rngs)

    def loss_fn(self, model, carry, batch):
        logits_BxTxV, carry = model(batch["inputs"], carry)
        nll_BxT = optax.softmax_cross_entropy_with_integer_labels(logits_BxTxV, batch["targets"])
        sums = {"nll": jnp.sum(nll_BxT), "count": jnp.float32(nll_BxT.size)}
        return sums["nll"] / sums["count"], (sums, carry)
