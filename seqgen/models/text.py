"""Text model: one-hot or embedding -> DeepLSTM -> softmax (Graves §3).

Dimension letters: B batch, T time, V vocabulary, E embedding width,
F features the DeepLSTM hands to the output layer (N*H with skips).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.models import lstm


class TextModel(nnx.Module):
    """Predicts the next symbol: logits over the vocabulary at every step."""

    def __init__(self, vocab_size: int, *, hidden: int, num_layers: int,
                 embed_dim: int = 0, skip: bool = True,
                 opts: lstm.LSTMOptions | None = None,
                 clip_outputs: float | None = None, rngs: nnx.Rngs):
        opts = opts or lstm.LSTMOptions()
        self.vocab_size = vocab_size
        self.clip_outputs = clip_outputs
        self.matmul_dtype = opts.matmul_dtype
        # embed_dim == 0 means Graves' one-hot input: the first matmul of
        # every layer then plays the role of an embedding.
        if embed_dim:
            self.embed = nnx.Embed(vocab_size, embed_dim, rngs=rngs)
            in_features = embed_dim
        else:
            self.embed = None
            in_features = vocab_size
        self.lstm = lstm.DeepLSTM(in_features, hidden, num_layers, opts,
                                  skip=skip, rngs=rngs)
        s = opts.init_scale
        self.w_y = nnx.Param(jax.random.uniform(
            rngs.params(), (self.lstm.out_features, vocab_size), minval=-s, maxval=s))
        self.b_y = nnx.Param(jnp.zeros((vocab_size,)))

    def init_carry(self, batch_size: int) -> lstm.Carry:
        return self.lstm.init_carry(batch_size)

    def __call__(self, ids_BxT: jax.Array, carry: lstm.Carry
                 ) -> tuple[jax.Array, lstm.Carry]:
        # One-hot input goes in as ids: the layers gather rows of W_x.
        x = ids_BxT if self.embed is None else self.embed(ids_BxT)
        h_BxTxF, carry = self.lstm(x, carry)
        logits_BxTxV = lstm.dot(h_BxTxF, self.w_y[...], self.matmul_dtype) + self.b_y[...]
        # Graves clips the derivatives at the network outputs to [-100, 100].
        return lstm.maybe_clip(logits_BxTxV, self.clip_outputs), carry
