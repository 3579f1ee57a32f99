"""The synthesis network and its sampler.

The network is checked against a pure-Python loop of Graves' equations
(2013 eqs. 7-11 and §5; DESIGN.md §3) written here in jax.numpy, one step at
a time, with every layer input concatenated and multiplied by the whole
weight matrix (the model hoists and splits the projections instead), values
and jax.grad gradients, with and without Graves' derivative clipping. The
sampler is checked against a stop rule recomputed in numpy, against a
step-by-step loop of the model and mdn.sample, and row by row.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen.models import generate, lstm, mdn
from seqgen.models.synthesis import SynthesisCarry, SynthesisModel

B, T, H, C, U, K, M = 2, 7, 6, 5, 4, 2, 2


def tiny(skip=True, num_layers=2, clip=None, clip_outputs=None, kappa_step=0.3,
         init_scale=0.4, seed=0):
    opts = lstm.LSTMOptions(init_scale=init_scale, clip_preactivations=clip)
    return SynthesisModel(alphabet_size=C, hidden=H, num_layers=num_layers, num_mixtures=M,
                          num_window=K, skip=skip, opts=opts, clip_outputs=clip_outputs,
                          kappa_step=kappa_step, rngs=nnx.Rngs(seed))


def inputs(seed=0, t=T):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, t, 3)).astype(np.float32)
    x[..., 2] = rng.random((B, t)) < 0.2
    chars = rng.integers(0, C, (B, U)).astype(np.int32)
    mask = np.ones((B, U), np.float32)
    mask[1, 2:] = 0
    return jnp.asarray(x), jnp.asarray(chars), jnp.asarray(mask)


def random_carry(model, seed=3):
    """A non-zero starting state, so the test sees every part of the carry used."""
    carry = model.init_carry(B)
    keys = iter(jax.random.split(jax.random.key(seed), 20))
    carry = jax.tree.map(lambda a: 0.5 * jax.random.normal(next(keys), a.shape), carry)
    return carry._replace(kappa=jnp.abs(carry.kappa))


def grad_clip(limit):
    """Identity whose backward pass clips the cotangent: Graves' derivative clipping."""
    @jax.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -limit, limit),))
    return f if limit else (lambda x: x)


def sig(z):
    return 1.0 / (1.0 + jnp.exp(-z))


def ref_run(d, x, chars, mask, carry, *, skip, clip=None, clip_outputs=None):
    """Graves' synthesis network, one step at a time; d = the model's pure-dict params."""
    cl, cl_out = grad_clip(clip), grad_clip(clip_outputs)
    n_layers = len(d["layers"])
    onehot = jnp.eye(C)[chars]
    state = list(carry.layers)
    w, kappa = carry.w, carry.kappa
    u = jnp.arange(1, chars.shape[1] + 1)

    def cell(p, inp, h, c):
        z = inp @ p["w_x"] + h @ p["w_h"] + p["b"]
        zi, zf, zc, zo = (z[:, g * H:(g + 1) * H] for g in range(4))  # gate blocks i, f, c, o
        wc = p["w_c"]
        i = sig(cl(zi + wc[0] * c))
        f = sig(cl(zf + wc[1] * c))
        c_new = f * c + i * jnp.tanh(cl(zc))
        o = sig(cl(zo + wc[2] * c_new))
        return o * jnp.tanh(c_new), c_new

    ys, phis, kappas = [], [], []
    for t in range(x.shape[1]):
        xt = x[:, t]
        h1, c1 = cell(d["layers"][0], jnp.concatenate([xt, w], -1), *state[0])
        z = h1 @ d["window"]["w"] + d["window"]["b"]
        alpha, beta = jnp.exp(z[:, :K]), jnp.exp(z[:, K:2 * K])
        kappa = kappa + jnp.exp(z[:, 2 * K:])
        phi = jnp.sum(alpha[:, :, None] * jnp.exp(-beta[:, :, None]
                                                  * (kappa[:, :, None] - u) ** 2), axis=1) * mask
        w = jnp.sum(phi[:, :, None] * onehot, axis=1)
        state[0] = (h1, c1)
        hs, below = [h1], h1
        for n in range(1, n_layers):
            inp = [xt, below, w] if skip else [below, w]
            state[n] = cell(d["layers"][n], jnp.concatenate(inp, -1), *state[n])
            below = state[n][0]
            hs.append(below)
        f = jnp.concatenate(hs + [w], -1) if skip else below
        ys.append(cl_out(f @ d["head"]["w"] + d["head"]["b"]))
        phis.append(phi)
        kappas.append(kappa)
    carry = SynthesisCarry(layers=tuple(state), w=w, kappa=kappa)
    return jnp.stack(ys, 1), carry, jnp.stack(phis, 1), jnp.stack(kappas, 1)


def pure(model):
    return nnx.to_pure_dict(nnx.split(model)[1])


def model_run(model, d, *args):
    graphdef, state = nnx.split(model)
    nnx.replace_by_pure_dict(state, d)
    return nnx.merge(graphdef, state)(*args)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _jitted(graphdef, method, state, *args):
    return getattr(nnx.merge(graphdef, state), method)(*args)


def call(model, *args, method="__call__"):
    """model(*args) compiled once per shape: eager calls retrace the scans every time."""
    graphdef, state = nnx.split(model)
    return _jitted(graphdef, method, state, *args)


@pytest.mark.parametrize("skip,num_layers", [(True, 3), (False, 2), (True, 1)])
def test_forward_matches_the_loop_reference(skip, num_layers):
    model = tiny(skip=skip, num_layers=num_layers)
    x, chars, mask = inputs()
    carry = random_carry(model)
    got = call(model, x, chars, mask, carry)
    want = ref_run(pure(model), x, chars, mask, carry, skip=skip)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-5)
    y, _, phi, kappa = got
    assert y.shape == (B, T, 6 * M + 1) and phi.shape == (B, T, U) and kappa.shape == (B, T, K)
    assert np.all(np.asarray(phi)[1, :, 2:] == 0)  # padded characters


def test_gradients_match_the_loop_reference_with_and_without_clipping():
    x, chars, mask = inputs(1, t=5)
    r = np.random.default_rng(2)
    # A random linear read-out of every output; large on y so clip_outputs binds.
    ry, rphi, rk = (jnp.asarray(r.normal(size=s), jnp.float32) * a
                    for s, a in [((B, 5, 6 * M + 1), 3.0), ((B, 5, U), 1.0), ((B, 5, K), 1.0)])

    def grad(run, d, jit):
        def f(d):
            y, c, phi, kappa = run(d)
            return (jnp.sum(y * ry) + jnp.sum(phi * rphi) + jnp.sum(kappa * rk)
                    + jnp.sum(c.layers[-1][0]) + jnp.sum(c.w))
        return (jax.jit(jax.grad(f)) if jit else jax.grad(f))(d)

    def check(clip, clip_outputs):
        model = tiny(clip=clip, clip_outputs=clip_outputs)
        carry = random_carry(model)
        got = grad(lambda d: model_run(model, d, x, chars, mask, carry), pure(model), True)
        # The reference runs eagerly: compiling its unrolled loop costs more.
        want = grad(lambda d: ref_run(d, x, chars, mask, carry, skip=True, clip=clip,
                                      clip_outputs=clip_outputs), pure(model), False)
        for (path, g), w in zip(jax.tree_util.tree_leaves_with_path(got),
                                jax.tree.leaves(want), strict=True):
            scale = np.abs(np.asarray(w)).max()
            np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-4 * scale + 1e-6,
                                       err_msg=f"clip={clip} {path}")
        return want

    plain, clipped = check(None, None), check(0.02, 0.5)
    # The clipping really changed the gradients (same parameters: same seed).
    assert not np.allclose(plain["layers"][0]["w_h"], clipped["layers"][0]["w_h"], rtol=1e-2)
    assert not np.allclose(plain["head"]["b"], clipped["head"]["b"], rtol=1e-2)


def test_outputs_at_t_do_not_depend_on_later_inputs():
    model = tiny()
    x, chars, mask = inputs()
    carry = model.init_carry(B)
    base = call(model, x, chars, mask, carry)
    t0 = 4
    moved = call(model, x.at[:, t0].add(1.0), chars, mask, carry)
    for a, b_ in [(base[0], moved[0]), (base[2], moved[2]), (base[3], moved[3])]:
        np.testing.assert_array_equal(a[:, :t0], b_[:, :t0])
        assert np.abs(np.asarray(a[:, t0:] - b_[:, t0:])).max() > 1e-4


def test_characters_matter_once_the_window_reaches_them():
    # kappa moves ~1 character a step: the last of 6 characters is reached near t = 5.
    model = tiny(kappa_step=1.0, init_scale=0.05)
    x, _, _ = inputs(t=10)
    chars = jnp.asarray(np.tile(np.arange(6) % C, (B, 1)), jnp.int32)
    mask = jnp.ones((B, 6))
    carry = model.init_carry(B)
    y0, _, _, kappa = call(model, x, chars, mask, carry)
    y1 = call(model, x, chars.at[:, 5].set(4), mask, carry)[0]
    diff_T = np.abs(np.asarray(y1 - y0)).max(axis=(0, 2))
    k_T = np.asarray(kappa).max(axis=(0, 2))
    assert k_T[1] < 2.5 and k_T[-1] > 6
    assert diff_T[:2].max() < 1e-6 and diff_T[-3:].min() > 1e-3, diff_T

    # Padded characters never matter, nor does extra padding.
    mask_pad = mask.at[:, 4:].set(0)
    y_a = call(model, x, chars, mask_pad, carry)[0]
    y_b = call(model, x, chars.at[:, 5].set(2), mask_pad, carry)[0]
    y_c = call(model, x, jnp.pad(chars, ((0, 0), (0, 3))), jnp.pad(mask_pad, ((0, 0), (0, 3))),
                carry)[0]
    np.testing.assert_array_equal(y_a, y_b)
    np.testing.assert_allclose(y_a, y_c, rtol=1e-6, atol=1e-6)


def test_two_windows_with_carry_equal_one_long_window():
    model = tiny()
    x, chars, mask = inputs(t=12)
    carry = model.init_carry(B)
    y, c, phi, kappa = call(model, x, chars, mask, carry)
    y1, c1, phi1, kappa1 = call(model, x[:, :5], chars, mask, carry)
    y2, c2, phi2, kappa2 = call(model, x[:, 5:], chars, mask, c1)
    for whole, a, b_ in [(y, y1, y2), (phi, phi1, phi2), (kappa, kappa1, kappa2)]:
        np.testing.assert_allclose(whole, jnp.concatenate([a, b_], 1), rtol=1e-5, atol=1e-6)
    for a, b_ in zip(jax.tree.leaves(c), jax.tree.leaves(c2), strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("skip,num_layers", [(True, 3), (False, 2), (True, 1)])
def test_the_sampling_step_equals_run_on_one_point(skip, num_layers):
    # One point at a time (the one-matmul path sampling takes) against the
    # whole sequence through the scans: every output and the final carry.
    model = tiny(skip=skip, num_layers=num_layers)
    x, chars, mask = inputs()
    carry = random_carry(model)
    want = model.run(x, chars, mask, carry)
    outs = []
    for t in range(T):
        out = model.run(x[:, t:t + 1], chars, mask, carry)
        carry = out.carry
        outs.append(out)
    for field in ("y", "phi", "window"):
        got = jax.tree.map(lambda *a: jnp.concatenate(a, 1), *(getattr(o, field) for o in outs))
        for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(getattr(want, field)),
                        strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=field)
    for g, w in zip(jax.tree.leaves(carry), jax.tree.leaves(want.carry), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_init_carry_is_zeros_with_the_batch_first():
    carry = tiny(num_layers=3).init_carry(5)
    shapes = [a.shape for a in jax.tree.leaves(carry)]
    assert shapes == [(5, H)] * 6 + [(5, C), (5, K)]
    assert all(not np.any(a) for a in jax.tree.leaves(carry))


# -- sampler ------------------------------------------------------------------

def np_log_phi(p, u):
    """log phi(u) from one step's window params (numpy, float64)."""
    la, beta, kappa = (np.asarray(a, np.float64) for a in p)
    terms = la - beta * (kappa - u) ** 2
    return np.log(np.sum(np.exp(terms - terms.max()))) + terms.max()


def test_rows_stop_by_graves_rule_and_then_emit_zeros():
    # kappa races ahead ~1 character a point: rows with 3 and 7 characters stop
    # near points 3 and 7; the row with 12 hits the cap of 10.
    model = tiny(kappa_step=1.0, init_scale=0.02)
    lengths, cap = [3, 7, 12], 10
    chars = np.tile(np.arange(12) % C, (3, 1)).astype(np.int32)
    mask = (np.arange(12)[None] < np.array(lengths)[:, None]).astype(np.float32)
    start = np.array([0.1, -0.2, 0.0], np.float32)
    out = generate.write_strokes(model, start, chars, mask, bias=0.0, max_points=cap,
                               rng=jax.random.key(0))
    assert list(out["length_B"]) == [3, 7, 10]
    assert list(out["stopped_B"]) == [True, True, False]
    for r, n in enumerate(lengths):
        L = int(out["length_B"][r])
        for name in ("strokes_BxLx3", "phi_BxLxU", "kappa_BxLxK"):
            assert not np.any(out[name][r, L:]), (name, r)
        # Teacher-force what the row wrote: the window at each step, and the stop
        # rule in numpy, must say the row stopped at step L and not before.
        x = np.concatenate([start[None], out["strokes_BxLx3"][r, :L]])[None]
        o = call(model, jnp.asarray(x), jnp.asarray(chars[r:r + 1]),
                 jnp.asarray(mask[r:r + 1]), model.init_carry(1), method="run")
        fired = []
        for t in range(x.shape[1]):
            p = [a[0, t] for a in o.window]
            inside = max(np_log_phi(p, u) for u in range(1, n + 1))
            fired.append(np_log_phi(p, n + 1) > inside)
        assert not any(fired[:L]) and (L == cap or fired[L]), (r, fired)
        np.testing.assert_allclose(out["phi_BxLxU"][r, :L], o.phi[0, :L], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(out["kappa_BxLxK"][r, :L], o.window.kappa[0, :L], rtol=1e-5)
        assert np.all(out["strokes_BxLx3"][r, :L, 2] * (1 - out["strokes_BxLx3"][r, :L, 2]) == 0)


def prime_setup():
    model = tiny(kappa_step=0.05, init_scale=0.3, seed=4)
    rng = np.random.default_rng(5)
    prime = rng.normal(size=(9, 3)).astype(np.float32)
    prime[:, 2] = [0, 0, 1, 0, 0, 0, 1, 0, 1]
    chars = rng.integers(0, C, (B, 10)).astype(np.int32)  # "prime text + ' ' + target"
    mask = np.ones((B, 10), np.float32)
    return model, prime, chars, mask


def test_primed_sampling_continues_from_the_state_after_the_prime():
    model, prime, chars, mask = prime_setup()
    bias, n, key = 10.0, 6, jax.random.key(7)
    start = np.zeros(3, np.float32)
    out = generate.write_strokes(model, start, chars, mask, bias=bias, max_points=n, rng=key,
                               prime_x_PxBx3=prime)
    # Reference: the network over the prime, then one model call per point.
    ch, mk = jnp.asarray(chars), jnp.asarray(mask)
    prime_BxPx3 = jnp.broadcast_to(jnp.asarray(prime), (B, 9, 3))
    _, carry, _, _ = call(model, prime_BxPx3[:, :-1], ch, mk, model.init_carry(B))
    x, want = prime_BxPx3[:, -1], []
    for k in jax.random.split(key, n):
        y, carry, _, _ = call(model, x[:, None], ch, mk, carry)
        x = mdn.sample(k, y[:, 0], bias)
        want.append(x)
    want = np.stack(want, 1)
    assert list(out["length_B"]) == [n, n]
    np.testing.assert_allclose(out["strokes_BxLx3"], want, rtol=1e-3, atol=1e-4)
    unprimed = generate.write_strokes(model, start, chars, mask, bias=bias, max_points=n, rng=key)
    assert np.abs(unprimed["strokes_BxLx3"][:, :, :2] - want[:, :, :2]).max() > 0.05
    assert np.all(out["kappa_BxLxK"][:, 0] > unprimed["kappa_BxLxK"][:, 0] + 0.2)


def test_prime_chars_moves_a_lagging_window_to_the_target_never_back():
    model, prime, chars, mask = prime_setup()
    bias, n, key = 10.0, 4, jax.random.key(5)
    start = np.zeros(3, np.float32)
    ch, mk = jnp.asarray(chars), jnp.asarray(mask)
    prime_BxPx3 = jnp.broadcast_to(jnp.asarray(prime), (B, 9, 3))
    _, carry0, _, _ = call(model, prime_BxPx3[:, :-1], ch, mk, model.init_carry(B))
    assert float(carry0.kappa.max()) < 6.0  # 8 points of prime: the window lags
    for prime_chars in (6, 0):
        out = generate.write_strokes(model, start, chars, mask, bias=bias, max_points=n,
                                   rng=key, prime_x_PxBx3=prime, prime_chars=prime_chars)
        # Reference: kappa_k <- max(kappa_k, prime_chars) after the prime.
        carry = carry0._replace(kappa=jnp.maximum(carry0.kappa, float(prime_chars)))
        x, want = prime_BxPx3[:, -1], []
        for k in jax.random.split(key, n):
            y, carry, _, _ = call(model, x[:, None], ch, mk, carry)
            x = mdn.sample(k, y[:, 0], bias)
            want.append(x)
        np.testing.assert_allclose(out["strokes_BxLx3"], np.stack(want, 1),
                                   rtol=1e-3, atol=1e-4)
        assert (out["kappa_BxLxK"][:, 0].min() >= 6.0) == (prime_chars == 6)


def test_per_row_bias_equals_scalar_bias_row_by_row_in_one_compile():
    model, _, chars, mask = prime_setup()
    start, key = np.zeros(3, np.float32), jax.random.key(3)
    before = generate._write._cache_size()
    mixed = generate.write_strokes(model, start, chars, mask, bias=np.array([0.0, 3.0]),
                                 max_points=6, rng=key)
    for r, b in enumerate([0.0, 3.0]):
        alone = generate.write_strokes(model, start, chars, mask, bias=b, max_points=6, rng=key)
        np.testing.assert_allclose(mixed["strokes_BxLx3"][r], alone["strokes_BxLx3"][r],
                                   rtol=1e-6, atol=1e-6)
    assert generate._write._cache_size() - before <= 1


def test_bad_prime_shape_is_a_one_line_error():
    model, _, chars, mask = prime_setup()
    with pytest.raises(ValueError, match="prime strokes"):
        generate.write_strokes(model, np.zeros(3), chars, mask, bias=0.0, max_points=3,
                             rng=jax.random.key(0), prime_x_PxBx3=np.zeros((4, 2)))
