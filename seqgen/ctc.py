"""Connectionist temporal classification (Graves et al. 2006): the loss of a
text given per-point class distributions, and best-path decoding.

The loss sums over every alignment of the text to the points (characters
may repeat over consecutive points and be separated by blanks; a repeated
character needs a blank between its copies); optax.ctc_loss computes it
with the forward algorithm. Best-path decoding takes the most likely class
at each point, merges repeats and drops blanks: Graves' fast approximation
to the most likely text (exact when one path dominates, as it does for a
trained recogniser).

Dimension letters: B lines, T points, K classes (0 = blank), U characters.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

BLANK = 0  # the alphabet's padding id, never a character


def loss(logp_BxTxK: jax.Array, mask_BxT: jax.Array, labels_BxU: jax.Array,
         label_mask_BxU: jax.Array) -> jax.Array:
    """-log p(text | line) per line [B]; a row with no points and no text
    (batch filler) scores 0."""
    loss_B = optax.ctc_loss(logp_BxTxK, 1.0 - mask_BxT, labels_BxU, 1.0 - label_mask_BxU,
                            blank_id=BLANK)
    present_B = jnp.max(mask_BxT, axis=1) > 0
    return jnp.where(present_B, loss_B, 0.0)


def best_path(logp_BxTxK: np.ndarray, mask_BxT: np.ndarray) -> list[np.ndarray]:
    """Each line's class ids along its best path, repeats merged, blanks dropped."""
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
