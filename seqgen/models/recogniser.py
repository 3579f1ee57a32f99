"""An online handwriting recogniser: a deep bidirectional LSTM over pen offsets
with a softmax over the alphabet plus a blank, trained with CTC.

Graves et al. (2009), "A Novel Connectionist System for Unconstrained
Handwriting Recognition": each hidden layer runs one LSTM forward in time
and one backward, and both feed the next layer and the output; the output
at each point is a distribution over the characters and a blank, and
connectionist temporal classification (Graves et al. 2006) sums over every
alignment of the text to the points. The LSTM layers are the project's
peephole layers (lstm.py), each direction its own weights.

Lines in a batch are padded at the end. The backward direction must start
at each line's own last point, not at the padding: `reverse_padded` flips
every row within its length (padding stays at the end), the layer runs
forward over that, and the same flip puts its outputs back in time order.
Nothing in a row's first `length` outputs then depends on its padding.

Frames: with points_per_frame = S > 1 the network reads S consecutive
points as one input frame (S x fewer steps for every layer; CTC needs only
one frame per character, and a blank between repeated ones).

Dimension letters: B lines, T points, D input features (3: dx, dy, pen-up),
F frames (T / S), E = S*D frame features,
H cells per direction, K = alphabet size (id 0 is the blank: the alphabet's
padding id, never a character).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.models import lstm


def reverse_padded(x_BxTxD: jax.Array, length_B: jax.Array) -> jax.Array:
    """Each row's first length_B[b] steps in reverse order, padding kept at
    the end. Its own inverse."""
    T = x_BxTxD.shape[1]
    t_T = jnp.arange(T)
    index_BxT = jnp.where(t_T[None] < length_B[:, None], length_B[:, None] - 1 - t_T[None],
                          t_T[None])
    return jnp.take_along_axis(x_BxTxD, index_BxT[..., None], axis=1)


class BiLSTMLayer(nnx.Module):
    """One LSTM forward and one on the reversed line; outputs [B, T, 2H]."""

    def __init__(self, in_features: int, hidden: int, opts: lstm.LSTMOptions, *,
                 rngs: nnx.Rngs):
        self.forward = lstm.LSTMLayer(in_features, hidden, opts, rngs=rngs)
        self.backward = lstm.LSTMLayer(in_features, hidden, opts, rngs=rngs)

    def __call__(self, x_BxTxD: jax.Array, length_B: jax.Array) -> jax.Array:
        B = x_BxTxD.shape[0]
        h_fwd_BxTxH, _ = self.forward(x_BxTxD, self.forward.init_carry(B))
        h_rev_BxTxH, _ = self.backward(reverse_padded(x_BxTxD, length_B),
                                       self.backward.init_carry(B))
        return jnp.concatenate([h_fwd_BxTxH, reverse_padded(h_rev_BxTxH, length_B)], -1)


class Recogniser(nnx.Module):
    """(dx, dy, pen-up) per point -> log-probabilities of the K classes per point."""

    def __init__(self, *, alphabet_size: int, hidden: int, num_layers: int,
                 opts: lstm.LSTMOptions | None = None, in_features: int = 3,
                 points_per_frame: int = 1, rngs: nnx.Rngs):
        opts = opts or lstm.LSTMOptions()
        self.points_per_frame = points_per_frame
        self.layers = nnx.List([
            BiLSTMLayer(in_features * points_per_frame if n == 0 else 2 * hidden, hidden,
                        opts, rngs=rngs)
            for n in range(num_layers)])
        s = opts.init_scale
        self.w_out = nnx.Param(jax.random.uniform(
            rngs.params(), (2 * hidden, alphabet_size), jnp.float32, -s, s))
        self.b_out = nnx.Param(jnp.zeros((alphabet_size,)))

    def init_carry(self, batch_size: int) -> tuple:
        """Whole lines, read both ways: nothing is carried between batches."""
        return ()

    def frames(self, x_BxTxD: jax.Array, mask_BxT: jax.Array) -> tuple[jax.Array, jax.Array]:
        """S = points_per_frame consecutive points as one input frame: [B, T/S, S*D]
        and the frames' mask (a frame counts if any of its points does)."""
        S = self.points_per_frame
        if S == 1:
            return x_BxTxD, mask_BxT
        B, T, D = x_BxTxD.shape
        pad = -T % S
        x_BxTxD = jnp.pad(x_BxTxD, ((0, 0), (0, pad), (0, 0)))
        mask_BxT = jnp.pad(mask_BxT, ((0, 0), (0, pad)))
        return (x_BxTxD.reshape(B, (T + pad) // S, S * D),
                jnp.max(mask_BxT.reshape(B, (T + pad) // S, S), axis=-1))

    def __call__(self, x_BxTxD: jax.Array, mask_BxT: jax.Array
                 ) -> tuple[jax.Array, jax.Array]:
        """(log-softmax outputs [B, F, K], frame mask [B, F]) for F frames of
        points_per_frame points; mask_BxT: 1 on each line's points (a prefix
        of the row), 0 on padding."""
        x_BxFxE, mask_BxF = self.frames(x_BxTxD, mask_BxT)
        length_B = jnp.sum(mask_BxF, axis=1).astype(jnp.int32)
        h_BxTxF = x_BxFxE
        for layer in self.layers:
            h_BxTxF = layer(h_BxTxF, length_B)
        z_BxTxK = lstm.dot(h_BxTxF, self.w_out[...], "float32") + self.b_out[...]
        return jax.nn.log_softmax(z_BxTxK, axis=-1), mask_BxF
