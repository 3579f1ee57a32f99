"""Handwriting prediction (Graves 2013 §4): a deep LSTM over pen offsets
with a mixture density output.

Dimension letters: B batch, T time, F features the DeepLSTM hands to the
output layer (N*H with skips), K = 6M+1 mixture outputs.
"""

from __future__ import annotations

import jax
from flax import nnx

from seqgen.models import lstm, mdn


class PredictionModel(nnx.Module):
    """(dx, dy, eos)_t -> the mixture over (dx, dy, eos)_{t+1}."""

    def __init__(self, *, hidden: int, num_layers: int, num_mixtures: int,
                 skip: bool = True, opts: lstm.LSTMOptions | None = None,
                 clip_outputs: float | None = None, rngs: nnx.Rngs):
        opts = opts or lstm.LSTMOptions()
        self.clip_outputs = clip_outputs
        self.lstm = lstm.DeepLSTM(3, hidden, num_layers, opts, skip=skip, rngs=rngs)
        self.head = mdn.MixtureDensityHead(self.lstm.out_features, num_mixtures,
                                           init_scale=opts.init_scale, rngs=rngs)

    def init_carry(self, batch_size: int) -> lstm.Carry:
        return self.lstm.init_carry(batch_size)

    def __call__(self, x_BxTx3: jax.Array, carry: lstm.Carry
                 ) -> tuple[jax.Array, lstm.Carry]:
        h_BxTxF, carry = self.lstm(x_BxTx3, carry)
        # Graves clips the derivatives at the network outputs to [-100, 100].
        return lstm.maybe_clip(self.head(h_BxTxF), self.clip_outputs), carry
