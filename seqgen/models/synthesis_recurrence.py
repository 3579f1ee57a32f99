"""The synthesis network's first layer and soft window over a whole sequence,
with a hand-written backward pass (the synthesis counterpart of
lstm_recurrence.py).

Layer 1 and the window share one time loop: layer 1 reads w_{t-1}, the
window reads h^1_t. Autodiff of that lax.scan accumulates dL/dW_h, dL/dW_w
(the rows of layer 1's input weights that read w_{t-1}) and the window's
dL/dW inside the reverse loop, a rank-B update of each whole matrix at every
step. Here the reverse loop carries only dL/dh^1, dL/dc^1, dL/dw and
dL/dkappa, and emits dL/dz_t (the cell's pre-activations) and dL/dq_t (the
window's (a_hat, b_hat, k_hat)); afterwards every weight gradient is one
(T*B)-row matmul or reduction. dL/dz over all steps is also the cotangent
of the hoisted input projection, which the caller's autodiff turns into
dL/dW_x[:3] and dL/db.

The forward is that of synthesis.SynthesisModel's reference scan (Graves
2013 eqs. 7-11 with peepholes, 46-51 for the window); the backward of step t,
with e_bku = exp(a_hat_k - beta_k (kappa_k - u)^2) recomputed, not stored
(T*B*K*U floats would be 36 MB at Graves' shapes):
  dw_t    = dL/dw_t from outside + dz_{t+1} W_w^T
  dphi_bu = mask_bu (dw_t[b, char_bu] + dL/dphi from outside)
  da_k    = sum_u dphi_u e_ku,   dbeta_k = -sum_u dphi_u e_ku d_ku^2,
  dkappa_k = dkappa_{t+1} - 2 beta_k sum_u dphi_u e_ku d_ku   (d = kappa - u)
  dq_t    = (da, dbeta * beta, dkappa * exp(k_hat))
  dh^1_t  = dL/dh^1_t from outside + dz_{t+1} W_h^T + dq_t W_win^T
and the cell's own backward (lstm_recurrence.cell_backward, Graves' clip of
dL/dz to [-clip, clip] inside). tests/synthesis_recurrence_test.py checks
outputs, final carry and every gradient against autodiff of the reference.

Dimension letters: T time, B batch, H hidden, G = 4H, C alphabet, U
characters, K window components (Q = 3K window projections).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from seqgen.models import window
from seqgen.models.lstm_recurrence import cell_backward, dot, gates, peephole_grads


def _window_step(h_BxH, kappa_BxK, w_win_HxQ, b_win_Q, onehot_BxUxC, mask_BxU, dtype):
    """The window at one step: (w_t, phi_t, its params, exp(k_hat))."""
    q_BxQ = dot(h_BxH, w_win_HxQ, dtype) + b_win_Q
    p = window.params_from_projection(q_BxQ, kappa_BxK)
    phi_BxU = window.phi(p, mask_BxU)
    # exp(k_hat) again, not kappa_t - kappa_{t-1}, which loses digits once kappa is large.
    step_BxK = jnp.exp(jnp.split(q_BxQ, 3, axis=-1)[2])
    return window.window_vector(phi_BxU, onehot_BxUxC), phi_BxU, p, step_BxK


@functools.partial(jax.custom_vjp, nondiff_argnums=(12, 13, 14))
def first_layer_and_window(zx_TxBxG, h0_BxH, c0_BxH, w0_BxC, kappa0_BxK, w_h_HxG, w_w_CxG,
                           w_c_3xH, w_win_HxQ, b_win_Q, onehot_BxUxC, mask_BxU,
                           clip: float | None, dtype: str, unroll: int):
    """Layer 1 and the window for every t, given zx_t = W_x[:3] x_t + b.

    Returns ((h_TxBxH, w_TxBxC, phi_TxBxU, WindowParams of TxBxK),
             ((h_BxH, c_BxH), w_BxC, kappa_BxK)): per-step outputs, final state.
    w_c_3xH None means no peepholes. onehot and mask get no gradient.
    """
    outs, last, _ = _forward(zx_TxBxG, h0_BxH, c0_BxH, w0_BxC, kappa0_BxK, w_h_HxG, w_w_CxG,
                             w_c_3xH, w_win_HxQ, b_win_Q, onehot_BxUxC, mask_BxU, dtype,
                             unroll)
    return outs, last


def _forward(zx_TxBxG, h0, c0, w0, kappa0, w_h_HxG, w_w_CxG, w_c_3xH, w_win_HxQ, b_win_Q,
             onehot_BxUxC, mask_BxU, dtype, unroll):
    def step(state, zx_BxG):
        h_prev, c_prev, w_prev, kappa_prev = state
        i, f, g, o, c = gates(zx_BxG + dot(w_prev, w_w_CxG, dtype), h_prev, c_prev, w_h_HxG,
                              w_c_3xH, dtype)
        h = o * jnp.tanh(c)
        w, phi, p, step_BxK = _window_step(h, kappa_prev, w_win_HxQ, b_win_Q, onehot_BxUxC,
                                           mask_BxU, dtype)
        return (h, c, w, p.kappa), (h, w, phi, p, c, i, f, g, o, step_BxK)

    (h, c, w, kappa), (h_T, w_T, phi_T, p_T, *cell_T) = jax.lax.scan(
        step, (h0, c0, w0, kappa0), zx_TxBxG, unroll=unroll)
    return (h_T, w_T, phi_T, p_T), ((h, c), w, kappa), cell_T


def _fwd(zx_TxBxG, h0, c0, w0, kappa0, w_h_HxG, w_w_CxG, w_c_3xH, w_win_HxQ, b_win_Q,
         onehot_BxUxC, mask_BxU, clip, dtype, unroll):
    # symbolic_zeros=True wraps every differentiable input; only values matter here.
    val = lambda a: None if a is None else a.value  # noqa: E731
    args = [val(a) for a in (zx_TxBxG, h0, c0, w0, kappa0, w_h_HxG, w_w_CxG, w_c_3xH,
                             w_win_HxQ, b_win_Q, onehot_BxUxC, mask_BxU)]
    outs, last, cell_T = _forward(*args, dtype, unroll)
    res = (args[1:], outs, cell_T)
    return (outs, last), res


def _zero_or(ct):
    """A cotangent, or None where JAX knows it is zero (unused outputs such as
    phi and the window params in training)."""
    return None if isinstance(ct, SymbolicZero) else ct


def _bwd(clip, dtype, unroll, res, cts):
    (h0, c0, w0, kappa0, w_h_HxG, w_w_CxG, w_c_3xH, w_win_HxQ, _b, onehot_BxUxC,
     mask_BxU), (h_T, w_T, _phi_T, p_T), cell_T = res
    c_T, i_T, f_T, g_T, o_T, step_T = cell_T
    (dh_out_T, dw_out_T, dphi_out_T, dp_out_T), ((dh_last, dc_last), dw_last, dkappa_last) = cts
    dh_out_T, dw_out_T, dphi_out_T = map(_zero_or, (dh_out_T, dw_out_T, dphi_out_T))
    dla_out_T, dbeta_out_T, dkappa_out_T = map(_zero_or, dp_out_T)
    T, B, H = h_T.shape
    zeros = lambda a: jnp.zeros(a.shape, jnp.float32) if isinstance(a, SymbolicZero) else a  # noqa: E731
    carry0 = tuple(zeros(a) for a in (dh_last, dc_last, dw_last, dkappa_last))

    c_prev_T = jnp.concatenate([c0[None], c_T[:-1]], axis=0)
    # The transposed weights laid out once, before the loop (see lstm_recurrence._bwd):
    # [W_h; W_w]^T turns dz_t into (dh_{t-1}, dw_{t-1}) with one matmul.
    w_hwT_GxHC = jax.lax.optimization_barrier(
        jnp.concatenate([w_h_HxG, w_w_CxG], axis=0).T)
    w_winT_QxH = w_win_HxQ.T
    u_U = jnp.arange(1, mask_BxU.shape[-1] + 1, dtype=jnp.float32)
    keep_BxU = (mask_BxU > 0).astype(jnp.float32)

    def step(carry, xs):
        dh_rec, dc_next, dw_next, dkappa_next = carry
        (c, c_prev, i, f, g, o, la, beta, kappa, step_k,
         dh_out, dw_out, dphi_out, dla_out, dbeta_out, dkappa_out) = xs
        dw = dw_next if dw_out is None else dw_next + dw_out
        # dL/dphi_bu = dw_t[b, char_bu]: the transpose of w_t = sum_u phi_u c_u.
        dphi = jnp.einsum("buc,bc->bu", onehot_BxUxC, dw, preferred_element_type=jnp.float32)
        if dphi_out is not None:
            dphi = dphi + dphi_out
        dphi = dphi * keep_BxU
        d_BxKxU = kappa[:, :, None] - u_U
        e_BxKxU = jnp.exp(la[:, :, None] - beta[:, :, None] * d_BxKxU ** 2)
        ge_BxKxU = dphi[:, None, :] * e_BxKxU
        da = jnp.sum(ge_BxKxU, axis=-1)
        dbeta = -jnp.sum(ge_BxKxU * d_BxKxU ** 2, axis=-1)
        dkappa = dkappa_next - 2.0 * beta * jnp.sum(ge_BxKxU * d_BxKxU, axis=-1)
        if dla_out is not None:
            da = da + dla_out
        if dbeta_out is not None:
            dbeta = dbeta + dbeta_out
        if dkappa_out is not None:
            dkappa = dkappa + dkappa_out
        # kappa_t = kappa_{t-1} + exp(k_hat).
        dq_BxQ = jnp.concatenate([da, dbeta * beta, dkappa * step_k], axis=-1)
        dh = dh_rec + dot(dq_BxQ, w_winT_QxH, dtype)
        if dh_out is not None:
            dh = dh + dh_out
        dz_BxG, dc_prev = cell_backward(dh, dc_next, c, c_prev, (i, f, g, o), w_c_3xH, clip)
        dhw = dot(dz_BxG, w_hwT_GxHC, dtype)
        return (dhw[:, :H], dc_prev, dhw[:, H:], dkappa), (dz_BxG, dq_BxQ)

    xs = (c_T, c_prev_T, i_T, f_T, g_T, o_T, p_T.log_alpha, p_T.beta, p_T.kappa, step_T,
          dh_out_T, dw_out_T, dphi_out_T, dla_out_T, dbeta_out_T, dkappa_out_T)
    (dh0, dc0, dw0, dkappa0), (dz_TxBxG, dq_TxBxQ) = jax.lax.scan(
        step, carry0, xs, reverse=True, unroll=unroll)

    # Every weight gradient once over all T*B rows.
    flat = lambda a: a.reshape(T * B, a.shape[-1])  # noqa: E731
    h_prev_T = jnp.concatenate([h0[None], h_T[:-1]], axis=0)
    w_prev_T = jnp.concatenate([w0[None], w_T[:-1]], axis=0)
    dz, dq = flat(dz_TxBxG), flat(dq_TxBxQ)
    dw_h = dot(flat(h_prev_T).T, dz, dtype)
    dw_w = dot(flat(w_prev_T).T, dz, dtype)
    dw_win = dot(flat(h_T).T, dq, dtype)
    dw_c = peephole_grads(dz_TxBxG, c_T, c_prev_T, w_c_3xH)
    return (dz_TxBxG, dh0, dc0, dw0, dkappa0, dw_h, dw_w, dw_c, dw_win, jnp.sum(dq, axis=0),
            None, None)


first_layer_and_window.defvjp(_fwd, _bwd, symbolic_zeros=True)
