"""The 1997 paper's own learning rule for its LSTM: weights change at every
time step, with the truncated gradient carried forward in time.

Hochreiter & Schmidhuber (1997), section 4 and appendix A.1: errors reach
cells and gates only from the output units at the same step (truncation),
while the sensitivities of each cell state s_c to the weights of its cell
input and its input gate are accumulated forward, RTRL-style, through the
constant error carousel:

  ds_c/dw_{c,u}    += g'(net_c) y_in  y^u(t-1)
  ds_c/dw_{in_j,u} += g(net_c) f'(net_in_j) y^u(t-1)

so the gradient of the error at step t is available at step t and the
weights are updated there and then (the sensitivities are not reset when
the weights change, as in RTRL). For a target only at the end of a
sequence this equals one update per sequence with the truncated gradient;
with targets at every step (Reber) it updates many times per sequence.

Dimension letters: T steps, D inputs, U cells and gates (C + 2J),
C cells, J blocks, K outputs, Q = D + U + 1 sources (inputs, the previous
cells and gates, a constant 1 for the biases).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.tasks import objective
from seqgen.tasks.lstm1997 import LSTM1997Options


def _sig(x):
    return jax.nn.sigmoid(x)


def sequence_update(opts: LSTM1997Options, params, seq: dict, lr: jax.Array,
                    obj: dict):
    """Run one sequence, updating `params` after every step.

    params: the nnx.State of an LSTM1997 (truncate=True). seq: one sequence
    (no batch axis) as in objective.py. lr: the step size (0 = frozen).
    Returns (new params, output pre-activations z [T, K] as they were
    produced during the pass).
    """
    J, S = opts.num_blocks, opts.block_size
    C = J * S
    U = C + 2 * J
    treedef = jax.tree.structure(params)
    p0 = nnx.to_pure_dict(params)  # {'w_x', 'w_r'?, 'b_cell'?, 'b_gate'?, 'readout': {...}}
    D = p0["w_x"].shape[0]
    has = {k: k in p0 for k in ("w_r", "b_cell", "b_gate")}
    has_b_y, has_w_in = "b" in p0["readout"], "w_in" in p0["readout"]

    def fused(p):
        """[Q, U] weights from every source (inputs, previous cells and
        gates, 1) to every cell and gate; absent weights are zeros."""
        w_r = p["w_r"] if has["w_r"] else jnp.zeros((U, U))
        b_cell = p["b_cell"] if has["b_cell"] else jnp.zeros((C,))
        b_gate = p["b_gate"] if has["b_gate"] else jnp.zeros((2 * J,))
        return jnp.concatenate([p["w_x"], w_r, jnp.concatenate([b_cell, b_gate])[None]])

    def unfuse(g_QxU):
        g = {"w_x": g_QxU[:D]}
        if has["w_r"]:
            g["w_r"] = g_QxU[D:D + U]
        if has["b_cell"]:
            g["b_cell"] = g_QxU[-1, :C]
        if has["b_gate"]:
            g["b_gate"] = g_QxU[-1, C:]
        return g

    gr, hr = opts.g_range, opts.h_range
    block_of_C = jnp.arange(C) // S

    def step(carry, inp):
        p, r_U, s_C, ds_cell_CxQ, ds_in_CxQ = carry
        x_t, target = inp
        x_D = jax.nn.one_hot(x_t, D) if jnp.issubdtype(x_t.dtype, jnp.integer) else x_t
        src_Q = jnp.concatenate([x_D, r_U, jnp.ones((1,))])
        W_QxU = fused(p)
        net_U = src_Q @ W_QxU
        net_c, net_in, net_out = net_U[:C], net_U[C:C + J], net_U[C + J:]
        y_in, y_out = _sig(net_in), _sig(net_out)
        y_in_C, y_out_C = y_in[block_of_C], y_out[block_of_C]
        g_C = gr * (2 * _sig(net_c) - 1)
        dg_C = gr * 2 * _sig(net_c) * (1 - _sig(net_c))
        s_C = s_C + y_in_C * g_C
        h_C = hr * (2 * _sig(s_C) - 1)
        dh_C = hr * 2 * _sig(s_C) * (1 - _sig(s_C))
        y_c = y_out_C * h_C
        ro = p["readout"]
        z_K = y_c @ ro["w"]
        if has_b_y:
            z_K = z_K + ro["b"]
        if has_w_in:
            z_K = z_K + x_D @ ro["w_in"]

        # Sensitivities of the states, carried forward (before this step's update).
        ds_cell_CxQ = ds_cell_CxQ + (dg_C * y_in_C)[:, None] * src_Q[None]
        f_in_C = (y_in * (1 - y_in))[block_of_C]
        ds_in_CxQ = ds_in_CxQ + (g_C * f_in_C)[:, None] * src_Q[None]

        # dE_t/dz for this step's target alone (zero where there is none).
        def step_loss(z):
            one = {k: v[None, None] for k, v in target.items()}
            loss_1, _, _ = objective.per_sequence(z[None, None], one, **obj)
            return loss_1[0]

        dz_K = jax.grad(step_loss)(z_K)
        e_C = ro["w"] @ dz_K  # dE/dy_c, from this step's outputs only
        d_out_J = (jax.ops.segment_sum(e_C * h_C, block_of_C, J)
                   * y_out * (1 - y_out))
        e_s_C = e_C * y_out_C * dh_C
        g_in_JxQ = jax.ops.segment_sum(e_s_C[:, None] * ds_in_CxQ, block_of_C, J)
        g_QxU = jnp.concatenate([(e_s_C[:, None] * ds_cell_CxQ).T, g_in_JxQ.T,
                                 src_Q[:, None] * d_out_J[None]], axis=1)
        grads = unfuse(g_QxU)
        grads["readout"] = {"w": y_c[:, None] * dz_K[None]}
        if has_b_y:
            grads["readout"]["b"] = dz_K
        if has_w_in:
            grads["readout"]["w_in"] = x_D[:, None] * dz_K[None]
        p = jax.tree.map(lambda v, g: v - lr * g, p, grads)
        r_U = jnp.concatenate([y_c, y_in, y_out])
        return (p, r_U, s_C, ds_cell_CxQ, ds_in_CxQ), z_K

    xs = (seq["x"], {k: v for k, v in seq.items() if k != "x"})
    Q = D + U + 1
    carry = (p0, jnp.zeros((U,)), jnp.zeros((C,)), jnp.zeros((C, Q)), jnp.zeros((C, Q)))
    (p, *_), z_TxK = jax.lax.scan(step, carry, xs)
    return jax.tree.unflatten(treedef, jax.tree.leaves(p)), z_TxK
