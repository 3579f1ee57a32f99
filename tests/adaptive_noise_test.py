"""Adaptive weight noise (Graves 2011): the KL term against the closed form
for two univariate Gaussians and a Monte Carlo estimate, the fitted prior
against a numerical minimiser, and a resumed run that is bit for bit the
uninterrupted one (log sigma is checkpointed)."""

import json

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from scipy import optimize, stats

from seqgen import checkpoint, kinds, regularise, train
from seqgen.config.text import base, smoke


def posterior(seed=0):
    """Two 'layers' of weights with a spread of means and stds."""
    rng = np.random.default_rng(seed)
    mu = {"a": rng.normal(0.1, 0.3, (7, 5)).astype(np.float32),
          "b": rng.normal(-0.2, 0.1, (11,)).astype(np.float32)}
    log_sigma = {"a": rng.uniform(-4, -1, (7, 5)).astype(np.float32),
                 "b": rng.uniform(-3, 0, (11,)).astype(np.float32)}
    return mu, log_sigma


def numpy_kl(mu, log_sigma, m, s):
    """KL(N(mu, sigma^2) || N(m, s^2)) summed over weights, the textbook form."""
    total = 0.0
    for k in mu:
        x, sigma = mu[k].astype(np.float64), np.exp(log_sigma[k].astype(np.float64))
        total += np.sum(np.log(s / sigma) + (sigma**2 + (x - m) ** 2) / (2 * s**2) - 0.5)
    return total


def test_kl_matches_the_closed_form_and_a_monte_carlo_estimate():
    mu, log_sigma = posterior()
    m, s = 0.05, 0.4
    got = float(regularise.kl_to_prior(mu, log_sigma, m, s**2))
    assert got == pytest.approx(numpy_kl(mu, log_sigma, m, s), rel=1e-5)

    # E_q[log q(w) - log p(w)] by sampling, one weight at a time.
    rng = np.random.default_rng(1)
    x, ls = float(mu["a"][0, 0]), float(log_sigma["a"][0, 0])
    w = rng.normal(x, np.exp(ls), 400_000)
    mc = np.mean(stats.norm.logpdf(w, x, np.exp(ls)) - stats.norm.logpdf(w, m, s))
    one = float(regularise.kl_to_prior({"w": np.float32([x])}, {"w": np.float32([ls])},
                                           m, s**2))
    assert one == pytest.approx(mc, rel=0.02)


def test_fitted_prior_is_the_minimiser_of_the_kl():
    mu, log_sigma = posterior()
    m_fit, s2_fit = (float(v) for v in regularise.fitted_prior(mu, log_sigma))
    # An independent numerical minimiser over (m, log s) of the numpy KL.
    res = optimize.minimize(lambda p: numpy_kl(mu, log_sigma, p[0], np.exp(p[1])),
                            x0=[0.0, 0.0], method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    assert m_fit == pytest.approx(res.x[0], abs=1e-4)
    assert np.sqrt(s2_fit) == pytest.approx(np.exp(res.x[1]), rel=1e-4)
    best = float(regularise.kl_to_prior(mu, log_sigma, m_fit, s2_fit))
    for dm, ds in ((0.01, 1.0), (-0.01, 1.0), (0.0, 1.05), (0.0, 0.95)):
        worse = float(regularise.kl_to_prior(mu, log_sigma, m_fit + dm,
                                                 s2_fit * ds**2))
        assert worse > best


def test_samples_have_the_posterior_spread():
    mu = {"w": np.full((400, 250), 0.3, np.float32)}
    log_sigma = {"w": np.full((400, 250), np.log(0.02), np.float32)}
    reg = regularise.AdaptiveNoise(0.02)
    w = np.asarray(reg.sample(reg.trainable(mu, log_sigma), jax.random.key(0))["w"])
    assert w.mean() == pytest.approx(0.3, abs=1e-3)
    assert w.std() == pytest.approx(0.02, rel=0.01)


def tiny(**over):
    c = smoke(base())
    c.regularise.name = "adaptive_noise"
    c.regularise.adaptive_init_std = 0.05
    c.num_steps, c.checkpoint_every, c.eval_every, c.log_every = 16, 8, 16, 4
    c.eval_test = False
    c.update(over)
    return c


def logged(workdir):
    rows = [json.loads(line) for line in open(f"{workdir}/metrics.jsonl")]
    return {r["step"]: r for r in rows if r["split"] == "train"}


def test_adaptive_noise_run_resumes_bit_identically(tmp_path, monkeypatch):
    c = tiny()
    one = jax.devices()[:1]
    train.train_and_evaluate(c, str(tmp_path / "straight"), devices=one)
    real = kinds.make(c).__class__.train_batch

    def dying(self, step, *a):
        if step == 11:
            raise KeyboardInterrupt("simulated crash")
        return real(self, step, *a)

    monkeypatch.setattr(kinds.make(c).__class__, "train_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        train.train_and_evaluate(c, str(tmp_path / "resumed"), devices=one)
    monkeypatch.undo()
    train.train_and_evaluate(c, str(tmp_path / "resumed"), devices=one)

    straight, resumed = logged(tmp_path / "straight"), logged(tmp_path / "resumed")
    for step in (12, 16):  # logged by the resumed run alone
        for key in ("loss", "nats", "kl_nats", "mean_sigma", "penalty_per_target"):
            assert resumed[step][key] == straight[step][key], (step, key)
    # sigma was trained (it moved from its initial value) and the cost is
    # the KL over one pass: KL / windows per epoch / targets per window.
    assert straight[16]["mean_sigma"] != pytest.approx(0.05, rel=1e-4)
    kind = kinds.make(c)
    kind.load_data()
    per_window = c.batch_size * c.seq_len
    assert straight[16]["penalty_per_target"] == pytest.approx(
        straight[16]["kl_nats"] / kind.windows_per_epoch() / per_window, rel=1e-3)
    ckpts = [checkpoint.Checkpointer(str(tmp_path / d), keep=3, every=1, read_only=True)
             for d in ("straight", "resumed")]
    for ck in ckpts:
        assert ck.latest_step() == 16
    items = ocp.args.Composite(params=ocp.args.StandardRestore(),
                               train=ocp.args.StandardRestore())
    a, b = (ck.manager.restore(16, args=items) for ck in ckpts)
    for x, y in zip(jax.tree.leaves((a["params"], a["train"]["noise"])),
                    jax.tree.leaves((b["params"], b["train"]["noise"])), strict=True):
        np.testing.assert_array_equal(x, y)
