"""The peephole LSTM and the deep stack against a numpy re-derivation of
Graves (2013) eqs. 1-5 and 7-11, forward and backward (with his clipping of
the derivatives at the pre-activations, done by hand in numpy)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen.models import lstm


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_params(layer: lstm.LSTMLayer) -> dict:
    """Split the fused gate matrices into Graves' named weights."""
    H = layer.hidden
    w_x, w_h, b = (np.asarray(v[...], np.float64) for v in (layer.w_x, layer.w_h, layer.b))
    p = {}
    for k, gate in enumerate("ifco"):  # fused order i, f, g(=c), o
        p[f"W_x{gate}"] = w_x[:, k * H:(k + 1) * H]
        p[f"W_h{gate}"] = w_h[:, k * H:(k + 1) * H]
        p[f"b_{gate}"] = b[k * H:(k + 1) * H]
    w_c = np.zeros((3, H)) if layer.w_c is None else np.asarray(layer.w_c[...], np.float64)
    p["w_ci"], p["w_cf"], p["w_co"] = w_c
    return p


def np_forward(p, x_TxBxD, h0, c0):
    """Graves eqs. 7-11, one step at a time; returns h over time and a tape."""
    h, c = h0, c0
    hs, tape = [], []
    for x in x_TxBxD:
        zi = x @ p["W_xi"] + h @ p["W_hi"] + p["w_ci"] * c + p["b_i"]
        zf = x @ p["W_xf"] + h @ p["W_hf"] + p["w_cf"] * c + p["b_f"]
        zc = x @ p["W_xc"] + h @ p["W_hc"] + p["b_c"]
        i, f, g = sig(zi), sig(zf), np.tanh(zc)
        c_new = f * c + i * g
        zo = x @ p["W_xo"] + h @ p["W_ho"] + p["w_co"] * c_new + p["b_o"]
        o = sig(zo)
        h_new = o * np.tanh(c_new)
        tape.append((x, h, c, i, f, g, o, c_new))
        h, c = h_new, c_new
        hs.append(h)
    return np.stack(hs), (h, c), tape


def np_backward(p, tape, dh_TxBxH, clip):
    """Hand-written BPTT for the loss sum(h * dh); clips dL/dz at each gate."""
    cl = (lambda d: np.clip(d, -clip, clip)) if clip else (lambda d: d)
    g_ = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros_like(dh_TxBxH[0])
    dc_next = np.zeros_like(dh_TxBxH[0])
    dx = []
    for t in reversed(range(len(tape))):
        x, h_prev, c_prev, i, f, g, o, c = tape[t]
        dh = dh_TxBxH[t] + dh_next
        dzo = cl(dh * np.tanh(c) * o * (1 - o))
        dc = dc_next + dh * o * (1 - np.tanh(c) ** 2) + dzo * p["w_co"]
        dzi = cl(dc * g * i * (1 - i))
        dzf = cl(dc * c_prev * f * (1 - f))
        dzc = cl(dc * i * (1 - g ** 2))
        dzs = {"i": dzi, "f": dzf, "c": dzc, "o": dzo}
        for gate, dz in dzs.items():
            g_[f"W_x{gate}"] += x.T @ dz
            g_[f"W_h{gate}"] += h_prev.T @ dz
            g_[f"b_{gate}"] += dz.sum(0)
        g_["w_ci"] += (dzi * c_prev).sum(0)
        g_["w_cf"] += (dzf * c_prev).sum(0)
        g_["w_co"] += (dzo * c).sum(0)
        dh_next = sum(dz @ p[f"W_h{k}"].T for k, dz in dzs.items())
        dc_next = dc * f + dzi * p["w_ci"] + dzf * p["w_cf"]
        dx.append(sum(dz @ p[f"W_x{k}"].T for k, dz in dzs.items()))
    return g_, np.stack(dx[::-1]), dh_next, dc_next


def fuse(g_, H):
    """Graves-named gradients -> the layout of LSTMLayer's params."""
    gates = "ifco"
    return {
        "w_x": np.concatenate([g_[f"W_x{k}"] for k in gates], 1),
        "w_h": np.concatenate([g_[f"W_h{k}"] for k in gates], 1),
        "b": np.concatenate([g_[f"b_{k}"] for k in gates]),
        "w_c": np.stack([g_["w_ci"], g_["w_cf"], g_["w_co"]]),
    }


@pytest.mark.parametrize("peepholes", [True, False])
@pytest.mark.parametrize("clip", [None, 1.0])
@pytest.mark.parametrize("T", [7, 1])  # T = 1 takes LSTMLayer.one_step (sampling)
def test_layer_matches_numpy_forward_and_backward(peepholes, clip, T):
    B, D, H = 3, 5, 4
    opts = lstm.LSTMOptions(peepholes=peepholes, forget_bias=0.5, init_scale=0.5,
                            clip_preactivations=clip)
    layer = lstm.LSTMLayer(D, H, opts, rngs=nnx.Rngs(1))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    h0, c0 = (rng.normal(size=(B, H)).astype(np.float32) for _ in range(2))
    # A large upstream derivative so that clipping at [-1, 1] really bites.
    dh = (30.0 * rng.normal(size=(B, T, H))).astype(np.float32)

    p = np_params(layer)
    hs_np, (hT_np, cT_np), tape = np_forward(p, x.transpose(1, 0, 2), h0, c0)
    h_jax, (hT, cT) = layer(jnp.asarray(x), (jnp.asarray(h0), jnp.asarray(c0)))
    np.testing.assert_allclose(h_jax, hs_np.transpose(1, 0, 2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hT, hT_np, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(cT, cT_np, rtol=1e-5, atol=1e-5)

    graphdef, params = nnx.split(layer, nnx.Param)

    def loss(params, x, h0, c0):
        h, _ = nnx.merge(graphdef, params)(x, (h0, c0))
        return jnp.sum(h * dh)

    gp, gx, gh0, gc0 = jax.grad(loss, argnums=(0, 1, 2, 3))(params, x, h0, c0)
    g_np, dx_np, dh0_np, dc0_np = np_backward(p, tape, dh.transpose(1, 0, 2), clip)
    if clip:  # the test is only meaningful if clipping changed something
        _, dx_unclipped, _, _ = np_backward(p, tape, dh.transpose(1, 0, 2), None)
        assert not np.allclose(dx_np, dx_unclipped, atol=1e-3)
    want = fuse(g_np, H)
    for name in ("w_x", "w_h", "b") + (("w_c",) if peepholes else ()):
        np.testing.assert_allclose(gp[name][...], want[name], rtol=2e-4, atol=2e-4,
                                   err_msg=name)
    np.testing.assert_allclose(gx, dx_np.transpose(1, 0, 2), rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(gh0, dh0_np, rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(gc0, dc0_np, rtol=2e-4, atol=2e-4)


def test_forget_bias_and_no_peephole_variant():
    opts = lstm.LSTMOptions(peepholes=False, forget_bias=2.0)
    layer = lstm.LSTMLayer(3, 4, opts, rngs=nnx.Rngs(0))
    assert layer.w_c is None
    np.testing.assert_array_equal(np.asarray(layer.b[...]), [0] * 4 + [2] * 4 + [0] * 8)


def test_clip_gradient_clips_only_the_derivative():
    x = jnp.array([0.5, -2.0, 3.0])
    def f(x):
        return jnp.sum(lstm.clip_gradient(x, 1.0) * jnp.array([0.3, -5.0, 7.0]))

    np.testing.assert_allclose(jax.grad(f)(x), [0.3, -1.0, 1.0])
    np.testing.assert_allclose(lstm.clip_gradient(x, 1.0), x)


@pytest.mark.parametrize("skip", [True, False])
def test_deep_lstm_wiring_matches_numpy(skip):
    """Graves eqs. 1-5: with skips, x feeds every layer ([x, h^{n-1}]) and the
    output is [h^1..h^N]; without, a plain stack whose output is h^N."""
    B, T, D, H, N = 2, 6, 3, 4, 3
    deep = lstm.DeepLSTM(D, H, N, lstm.LSTMOptions(init_scale=0.5), skip=skip,
                         rngs=nnx.Rngs(2))
    x = np.random.default_rng(1).normal(size=(B, T, D)).astype(np.float32)
    carry = deep.init_carry(B)
    out, _ = deep(jnp.asarray(x), carry)

    inp, hs = x.transpose(1, 0, 2), []
    for n, layer in enumerate(deep.layers):
        want_in = D if n == 0 else H + (D if skip else 0)
        assert layer.w_x.shape[0] == want_in
        z = np.zeros((B, H))
        h, _, _ = np_forward(np_params(layer), inp, z, z)
        hs.append(h)
        inp = np.concatenate([x.transpose(1, 0, 2), h], -1) if skip else h
    want = np.concatenate(hs, -1) if skip else hs[-1]
    np.testing.assert_allclose(out, want.transpose(1, 0, 2), rtol=1e-5, atol=1e-5)


def test_every_layer_sees_the_input_and_feeds_the_output():
    """Through the skips the input reaches the last layer directly: its
    output still depends on x when every earlier layer's output is cut."""
    B, T, D, H, N = 2, 5, 3, 4, 3
    deep = lstm.DeepLSTM(D, H, N, lstm.LSTMOptions(init_scale=0.5), skip=True,
                         rngs=nnx.Rngs(3))
    for layer in list(deep.layers)[1:]:  # cut the h^{n-1} -> layer n path
        layer.w_x[...] = layer.w_x[...].at[D:].set(0.0)
    x = jnp.asarray(np.random.default_rng(2).normal(size=(B, T, D)), jnp.float32)
    jac = jax.jacrev(lambda x: deep(x, deep.init_carry(B))[0])(x)  # B,T,N*H,B,T,D
    for n in range(N):
        block = jac[:, :, n * H:(n + 1) * H]
        assert float(jnp.abs(block).max()) > 1e-4, f"layer {n} does not see x"


def test_causality_through_gradients():
    """d h_t / d x_t' = 0 for t' > t, and nonzero for t' <= t."""
    B, T, D, H = 1, 8, 3, 4
    deep = lstm.DeepLSTM(D, H, 2, lstm.LSTMOptions(init_scale=0.5),
                         rngs=nnx.Rngs(4))
    x = jnp.asarray(np.random.default_rng(3).normal(size=(B, T, D)), jnp.float32)
    jac = jax.jacrev(lambda x: deep(x, deep.init_carry(B))[0])(x)[0, :, :, 0]
    size = jnp.abs(jac).sum(axis=(1, 3))  # [t, t']
    for t in range(T):
        for t2 in range(T):
            if t2 > t:
                assert float(size[t, t2]) == 0.0
            else:
                assert float(size[t, t2]) > 0.0


def test_carry_continues_the_sequence():
    """Two windows with the carry passed on equal one long window (TBPTT)."""
    deep = lstm.DeepLSTM(3, 4, 2, lstm.LSTMOptions(), rngs=nnx.Rngs(5))
    x = jnp.asarray(np.random.default_rng(4).normal(size=(2, 10, 3)), jnp.float32)
    full, carry_full = deep(x, deep.init_carry(2))
    a, carry = deep(x[:, :4], deep.init_carry(2))
    b, carry = deep(x[:, 4:], carry)
    np.testing.assert_allclose(jnp.concatenate([a, b], 1), full, rtol=1e-6, atol=1e-6)
    jax.tree.map(lambda u, v: np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6),
                 carry, carry_full)


def test_integer_ids_equal_one_hot_input():
    """The gather path for one-hot input gives the one-hot matmul's numbers."""
    V, B, T = 7, 2, 5
    deep = lstm.DeepLSTM(V, 4, 2, lstm.LSTMOptions(init_scale=0.5), rngs=nnx.Rngs(6))
    ids = jnp.asarray(np.random.default_rng(5).integers(0, V, size=(B, T)))
    by_ids, _ = deep(ids, deep.init_carry(B))
    by_one_hot, _ = deep(jax.nn.one_hot(ids, V), deep.init_carry(B))
    np.testing.assert_allclose(by_ids, by_one_hot, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("skip", [True, False])
def test_one_step_at_a_time_equals_the_whole_sequence(skip):
    """Sampling's path (one matmul for [inputs, h] per layer, ids gathered)
    reproduces the sequence path step by step, skip parts included."""
    V, B, T = 7, 2, 6
    deep = lstm.DeepLSTM(V, 5, 3, lstm.LSTMOptions(init_scale=0.5), skip=skip,
                         rngs=nnx.Rngs(7))
    ids = jnp.asarray(np.random.default_rng(6).integers(0, V, size=(B, T)))
    full, carry_full = deep(ids, deep.init_carry(B))
    carry, outs = deep.init_carry(B), []
    for t in range(T):
        out, carry = deep(ids[:, t:t + 1], carry)
        outs.append(out)
    np.testing.assert_allclose(jnp.concatenate(outs, 1), full, rtol=1e-5, atol=1e-6)
    jax.tree.map(lambda u, v: np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6),
                 carry, carry_full)
