"""The peephole LSTM recurrence over a whole sequence, with a hand-written
backward pass that takes every weight gradient out of the time loop.

Autodiff of `lax.scan` accumulates dL/dW_h inside the reverse scan: a
rank-B update of the whole H x 4H matrix at every step (B = 32 rows against
a 4 MB accumulator for H = 512), which is memory bound on a CPU. Here the
reverse scan only carries dL/dh and dL/dc and emits dL/dz_t; afterwards
dL/dW_h = sum_t h_{t-1}^T dz_t is one (H x T*B) @ (T*B x 4H) matmul and the
peephole gradients are reductions over T*B. dL/dz over all steps is also
the cotangent of the input projection, which the caller's autodiff turns
into dL/dW_x and dL/db outside the loop as before.

The mathematics is that of `lstm.cell_step` (Graves eqs. 7-11, with his
clipping of dL/d(pre-activations) to [-clip, clip] during backprop);
tests/lstm_recurrence_test.py checks outputs and gradients against it.

Dimension letters: T time, B batch, H hidden, G = 4H gate pre-activations
(order i, f, g, o).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp


def dot(x: jax.Array, w: jax.Array, dtype: str) -> jax.Array:
    """Matmul whose accumulation and result are always float32."""
    if dtype == "float32":
        return jnp.dot(x, w, preferred_element_type=jnp.float32)
    dt = jnp.dtype(dtype)
    return jnp.dot(x.astype(dt), w.astype(dt), preferred_element_type=jnp.float32)


def gates(zx_BxG, h_BxH, c_BxH, w_h_HxG, w_c_3xH, dtype):
    """Post-activation gates and the new state; the same sums as cell_step."""
    z_BxG = zx_BxG + dot(h_BxH, w_h_HxG, dtype)
    zi, zf, zg, zo = jnp.split(z_BxG, 4, axis=-1)
    if w_c_3xH is not None:
        zi = zi + w_c_3xH[0] * c_BxH
        zf = zf + w_c_3xH[1] * c_BxH
    i, f, g = jax.nn.sigmoid(zi), jax.nn.sigmoid(zf), jnp.tanh(zg)
    c_new = f * c_BxH + i * g
    if w_c_3xH is not None:
        zo = zo + w_c_3xH[2] * c_new
    o = jax.nn.sigmoid(zo)
    return i, f, g, o, c_new


@functools.partial(jax.custom_vjp, nondiff_argnums=(5, 6, 7))
def recurrence(zx_TxBxG: jax.Array, h0_BxH: jax.Array, c0_BxH: jax.Array,
               w_h_HxG: jax.Array, w_c_3xH: jax.Array | None, clip: float | None,
               dtype: str, unroll: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """h over time and the final (h, c), given zx_t = W_x x_t + b for every t.

    Returns (h_TxBxH, h_BxH, c_BxH). w_c_3xH None means no peepholes.
    """
    def step(carry, zx_BxG):
        h, c = carry
        _, _, _, o, c = gates(zx_BxG, h, c, w_h_HxG, w_c_3xH, dtype)
        h = o * jnp.tanh(c)
        return (h, c), h

    (h, c), h_TxBxH = jax.lax.scan(step, (h0_BxH, c0_BxH), zx_TxBxG, unroll=unroll)
    return h_TxBxH, h, c


def _fwd(zx_TxBxG, h0_BxH, c0_BxH, w_h_HxG, w_c_3xH, clip, dtype, unroll):
    def step(carry, zx_BxG):
        h_prev, c_prev = carry
        i, f, g, o, c = gates(zx_BxG, h_prev, c_prev, w_h_HxG, w_c_3xH, dtype)
        h = o * jnp.tanh(c)
        return (h, c), (h, c, i, f, g, o)

    (h, c), (h_TxBxH, c_TxBxH, i, f, g, o) = jax.lax.scan(
        step, (h0_BxH, c0_BxH), zx_TxBxG, unroll=unroll)
    res = (h0_BxH, c0_BxH, h_TxBxH, c_TxBxH, i, f, g, o, w_h_HxG, w_c_3xH)
    return (h_TxBxH, h, c), res


def cell_backward(dh_BxH, dc_next_BxH, c_BxH, c_prev_BxH, gates, w_c_3xH, clip):
    """One step of the cell's backward: dL/dh_t (all paths) and dL/dc_t from
    step t+1 -> (dL/dz_t with Graves' clip to [-clip, clip], dL/dc_{t-1}).
    gates = (i, f, g, o) after their non-linearities."""
    i, f, g, o = gates
    cl = (lambda d: jnp.clip(d, -clip, clip)) if clip else (lambda d: d)  # noqa: E731
    peep = w_c_3xH is not None
    tanh_c = jnp.tanh(c_BxH)
    dzo = cl(dh_BxH * tanh_c * o * (1.0 - o))
    dc = dc_next_BxH + dh_BxH * o * (1.0 - tanh_c * tanh_c)
    if peep:
        dc = dc + dzo * w_c_3xH[2]
    dzi = cl(dc * g * i * (1.0 - i))
    dzf = cl(dc * c_prev_BxH * f * (1.0 - f))
    dzg = cl(dc * i * (1.0 - g * g))
    dc_prev = dc * f
    if peep:
        dc_prev = dc_prev + dzi * w_c_3xH[0] + dzf * w_c_3xH[1]
    return jnp.concatenate([dzi, dzf, dzg, dzo], axis=-1), dc_prev


def _bwd(clip, dtype, unroll, res, cts):
    h0, c0, h_TxBxH, c_TxBxH, i_T, f_T, g_T, o_T, w_h_HxG, w_c_3xH = res
    dh_out_TxBxH, dh_last, dc_last = cts
    c_prev_TxBxH = jnp.concatenate([c0[None], c_TxBxH[:-1]], axis=0)
    # W_h^T laid out once, before the loop: left as a transposed operand, XLA
    # CPU runs the 32x2048 @ 2048x512 product in the loop at ~126 GFLOP/s
    # against ~157 from a row-major copy (measured here, 2 threads).
    w_hT_GxH = jax.lax.optimization_barrier(w_h_HxG.T)

    def step(carry, xs):
        dh_rec, dc_next = carry
        dh_out, c, c_prev, i, f, g, o = xs
        dz_BxG, dc_prev = cell_backward(dh_out + dh_rec, dc_next, c, c_prev, (i, f, g, o),
                                        w_c_3xH, clip)
        dh_prev = dot(dz_BxG, w_hT_GxH, dtype)
        return (dh_prev, dc_prev), dz_BxG

    (dh0, dc0), dz_TxBxG = jax.lax.scan(
        step, (dh_last, dc_last),
        (dh_out_TxBxH, c_TxBxH, c_prev_TxBxH, i_T, f_T, g_T, o_T),
        reverse=True, unroll=unroll)
    # The weight gradients, each once over all T*B rows.
    T, B, H = h_TxBxH.shape
    h_prev_TxBxH = jnp.concatenate([h0[None], h_TxBxH[:-1]], axis=0)
    dw_h_HxG = dot(h_prev_TxBxH.reshape(T * B, H).T, dz_TxBxG.reshape(T * B, 4 * H), dtype)
    return (dz_TxBxG, dh0, dc0, dw_h_HxG.astype(w_h_HxG.dtype),
            peephole_grads(dz_TxBxG, c_TxBxH, c_prev_TxBxH, w_c_3xH))


def peephole_grads(dz_TxBxG, c_TxBxH, c_prev_TxBxH, w_c_3xH):
    """dL/dw_c over all T*B rows (None without peepholes): i and f peek at
    c_{t-1}, o at c_t."""
    if w_c_3xH is None:
        return None
    dzi, dzf, _, dzo = jnp.split(dz_TxBxG, 4, axis=-1)
    return jnp.stack([jnp.sum(dzi * c_prev_TxBxH, (0, 1)), jnp.sum(dzf * c_prev_TxBxH, (0, 1)),
                      jnp.sum(dzo * c_TxBxH, (0, 1))])


recurrence.defvjp(_fwd, _bwd)
