"""The PyTorch handwriting peers (benchmarks/torch_handwriting.py) compute
seqgen's models: with seqgen's weights copied in, teacher-forced steps give
seqgen's mixture outputs, window phi and kappa; the point sampler draws from
the biased mixture whose moments are re-derived here in numpy."""

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

# PyTorch is not in the test extra: python -m pytest -q -m peers tests runs these.
# Not importorskip: a module skipped while collected is reported skipped even
# when the default run deselects all its tests.
try:
    import torch
except ImportError:
    torch = None
pytestmark = [pytest.mark.peers,
              pytest.mark.skipif(torch is None, reason="needs torch: pip install -e '.[bench]'")]

from benchmarks import torch_handwriting as th  # noqa: E402
from seqgen.models import lstm, mdn  # noqa: E402
from seqgen.models.handwriting import PredictionModel  # noqa: E402
from seqgen.models.synthesis import SynthesisModel  # noqa: E402

B, T, H, M, K, C, U = 2, 6, 16, 3, 2, 10, 5
# init_scale 0.5 (not 0.1) and random output biases: gates and mixture
# outputs far from their values at zero, so a miswired part shows.
OPTS = lstm.LSTMOptions(init_scale=0.5)


def _randomise_bias(param, seed):
    param[...] = jnp.asarray(np.random.default_rng(seed).normal(size=param.shape),
                             jnp.float32)


def _offsets(seed):
    rng = np.random.default_rng(seed)
    x_BxTx3 = rng.normal(size=(B, T, 3)).astype(np.float32)
    x_BxTx3[..., 2] = rng.random((B, T)) < 0.3
    return x_BxTx3


def _teacher_forced(step, x_BxTx3, state):
    outs = []
    with torch.inference_mode():
        for t in range(x_BxTx3.shape[1]):
            out = step(torch.from_numpy(x_BxTx3[:, t]), state)
            state = out[1]
            outs.append(out)
    return outs


@pytest.mark.parametrize("skip", [True, False])
def test_prediction_peer_gives_seqgens_mixture_outputs(skip):
    model = PredictionModel(hidden=H, num_layers=2, num_mixtures=M, skip=skip, opts=OPTS,
                            rngs=nnx.Rngs(1))
    _randomise_bias(model.head.b, 2)
    x_BxTx3 = _offsets(3)
    y_BxTxY, _ = model(jnp.asarray(x_BxTx3), model.init_carry(B))
    net = th.load_from_seqgen(model)
    outs = _teacher_forced(net.step, x_BxTx3, net.init_state(B))
    y_torch_BxTxY = np.stack([o[0].numpy() for o in outs], 1)
    np.testing.assert_allclose(y_torch_BxTxY, np.asarray(y_BxTxY), atol=1e-5, rtol=1e-5)
    # The biased mixture parameters the sampler draws from, against mdn.mixture.
    bias = 0.6
    mix = mdn.mixture(y_BxTxY[:, -1], bias)
    with torch.inference_mode():
        e_hat, log_pi, mu, log_sigma, rho_hat = th.mixture(outs[-1][0], bias)
    for got, want in ((e_hat, mix.e_logit), (log_pi, mix.log_pi), (mu, mix.mu),
                      (log_sigma, mix.log_sigma), (rho_hat, mix.rho_hat)):
        np.testing.assert_allclose(got.numpy(), np.asarray(want), atol=1e-5, rtol=1e-5)


def test_synthesis_peer_gives_seqgens_outputs_window_and_kappa():
    # kappa_step 0.7: the window crosses the 5 characters within the 6 steps.
    model = SynthesisModel(alphabet_size=C, hidden=H, num_layers=2, num_mixtures=M,
                           num_window=K, opts=OPTS, kappa_step=0.7, rngs=nnx.Rngs(4))
    _randomise_bias(model.head.b, 5)
    rng = np.random.default_rng(6)
    chars_BxU = rng.integers(1, C, (B, U)).astype(np.int32)
    mask_BxU = np.ones((B, U), np.float32)
    mask_BxU[1, 3:] = 0.0  # row 1 is a shorter text, padded
    x_BxTx3 = _offsets(7)
    out = model.run(jnp.asarray(x_BxTx3), jnp.asarray(chars_BxU), jnp.asarray(mask_BxU),
                    model.init_carry(B))
    net = th.load_from_seqgen(model)
    text = net.text(chars_BxU, mask_BxU)
    outs = _teacher_forced(lambda x, s: net.step(x, s, text), x_BxTx3, net.init_state(B))
    for i, want in ((0, out.y), (2, out.phi), (3, out.window.kappa)):
        got = np.stack([o[i].numpy() for o in outs], 1)
        np.testing.assert_allclose(got, np.asarray(want), atol=1e-5, rtol=1e-5)
    assert np.asarray(out.phi)[1, :, 3:].max() == 0.0
    assert np.ptp(np.asarray(out.phi)[0, -1]) > 0.1  # the window is not flat
    # The carried window vector w_T feeds layer 1 at the next call.
    np.testing.assert_allclose(outs[-1][1][1].numpy(), np.asarray(out.carry.w), atol=1e-5)


def test_point_sampler_draws_from_the_biased_mixture():
    # One mixture, re-derived in numpy (Graves eqs. 61-62): pi = softmax(pi_hat
    # (1 + b)), sigma = exp(sigma_hat - b), rho = tanh(rho_hat), e = sigmoid(e_hat).
    b = 0.5
    e_hat, pi_hat = 0.4, np.array([0.2, -0.5, 1.0])
    mu_Mx2 = np.array([[1.0, -1.0], [-2.0, 0.5], [0.0, 2.0]])
    s_hat_Mx2 = np.array([[0.0, 0.3], [-0.4, 0.2], [0.5, -0.2]])
    rho_hat_M = np.array([1.0, -1.2, 0.3])
    y_Y = np.concatenate([[e_hat], pi_hat, mu_Mx2[:, 0], mu_Mx2[:, 1], s_hat_Mx2[:, 0],
                          s_hat_Mx2[:, 1], rho_hat_M]).astype(np.float32)
    pi_M = np.exp(pi_hat * (1 + b)) / np.exp(pi_hat * (1 + b)).sum()
    sigma_Mx2 = np.exp(s_hat_Mx2 - b)
    rho_M = np.tanh(rho_hat_M)
    mean_2 = pi_M @ mu_Mx2
    second_2x2 = sum(pi_M[j] * (np.array(
        [[sigma_Mx2[j, 0] ** 2, rho_M[j] * sigma_Mx2[j, 0] * sigma_Mx2[j, 1]],
         [rho_M[j] * sigma_Mx2[j, 0] * sigma_Mx2[j, 1], sigma_Mx2[j, 1] ** 2]])
        + np.outer(mu_Mx2[j], mu_Mx2[j])) for j in range(3))
    cov_2x2 = second_2x2 - np.outer(mean_2, mean_2)

    n = 40_000
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        x_Nx3 = th.draw_points(torch.from_numpy(np.tile(y_Y, (n, 1))), b, gen).numpy()
    assert set(np.unique(x_Nx3[:, 2])) <= {0.0, 1.0}
    # Standard errors here are below 0.01; the tolerances are ~4 of them.
    assert abs(x_Nx3[:, 2].mean() - 1 / (1 + np.exp(-e_hat))) < 0.01
    np.testing.assert_allclose(x_Nx3[:, :2].mean(0), mean_2, atol=0.03)
    np.testing.assert_allclose(np.cov(x_Nx3[:, :2].T), cov_2x2, atol=0.06)


def test_samplers_return_finite_points_of_the_right_shapes():
    gen = torch.Generator().manual_seed(0)
    pred = th.random_prediction(gen, layers=2, hidden=H, mixtures=M)
    syn = th.random_synthesis(gen, layers=2, hidden=H, mixtures=M, window=K, alphabet=C)
    chars_BxU = np.ones((B, U), np.int32)
    mask_BxU = np.ones((B, U), np.float32)
    mask_BxU[0, 4:] = 0.0
    with torch.inference_mode():
        x_BxLx3 = pred.sample(B, 7, 0.5, gen).numpy()
        w = {k: v.numpy() for k, v in syn.write(chars_BxU, mask_BxU, 7, 0.75, gen).items()}
    assert x_BxLx3.shape == (B, 7, 3) and np.isfinite(x_BxLx3).all()
    assert w["strokes_BxLx3"].shape == (B, 7, 3) and np.isfinite(w["strokes_BxLx3"]).all()
    assert w["phi_BxLxU"].shape == (B, 7, U) and w["kappa_BxLxK"].shape == (B, 7, K)
    assert (np.diff(w["kappa_BxLxK"], axis=1) > 0).all()  # the window only moves on
    assert (w["phi_BxLxU"][0, :, 4] == 0).all()


def test_timing_functions_report_like_torch_lstm():
    p = th.prediction_sample_time(layers=1, hidden=8, points=3, threads=1, repeats=1)
    s = th.synthesis_sample_time(layers=2, hidden=8, points=3, chars=4, alphabet=6,
                                 threads=1, repeats=1)
    for r in (p, s):
        assert r["median_s"] > 0 and r["n"] == 1 and r["threads"] == 1
        assert r["version"] == torch.__version__
