"""Weight noise (Graves 2013 §3.1): the draws have the configured spread and
change every step, the train step takes the gradient at the noisy weights
and applies it to the clean ones, evaluation and sampling see no noise,
and a warm start loads the earlier run's parameters."""

import jax
import numpy as np
import optax
import pytest
from flax import nnx

from seqgen import checkpoint, eval_loops, kinds, regularise, steps, train
from seqgen.command.errors import ConfigError
from seqgen.config.text import base, smoke
from seqgen.models import generate

STD = 0.075


def flat(tree):
    return np.concatenate([np.ravel(x) for x in jax.tree.leaves(tree)])


@pytest.fixture(scope="module")
def setup():
    c = smoke(base())
    c.batch_size, c.seq_len = 4, 16
    kind = kinds.make(c)
    kind.load_data()
    graphdef, params = nnx.split(kind.build_model(nnx.Rngs(0)), nnx.Param)
    return c, kind, graphdef, params


def test_draws_have_the_configured_spread_and_are_fresh_each_time(setup):
    _, _, _, params = setup
    reg = regularise.WeightNoise(STD)
    d1 = flat(reg.sample(params, jax.random.key(1))) - flat(params)
    d2 = flat(reg.sample(params, jax.random.key(2))) - flat(params)
    n = d1.size  # ~37k weights: the std is known to ~0.4%
    assert d1.std() == pytest.approx(STD, rel=0.02)
    assert abs(d1.mean()) < 4 * STD / np.sqrt(n)
    assert abs(np.corrcoef(d1, d2)[0, 1]) < 4 / np.sqrt(n)


def test_train_step_uses_the_gradient_at_the_noisy_weights(setup):
    c, kind, graphdef, params = setup
    batch = kind.train_batch(0, 0, 1)
    model = nnx.merge(graphdef, params)
    tx = optax.sgd(1.0)  # the update is minus the gradient
    reg = regularise.WeightNoise(STD)

    def update(step, reg):
        state = steps.TrainState(step=np.int32(step), params=params,
                                 opt_state=tx.init(params),
                                 carry=model.init_carry(c.batch_size),
                                 rng=jax.random.PRNGKey(0))
        new, _ = steps.train_step(graphdef, tx, kind, state, batch, reg=reg)
        return flat(new.params) - flat(params)

    def mean_grad(p):  # the definition: d(nll summed per sequence, averaged)/dw at p
        def loss(p):
            m = nnx.merge(graphdef, p)
            _, (sums, _) = kind.loss_fn(m, m.init_carry(c.batch_size), batch)
            return sums["nll"] / c.batch_size
        return flat(jax.grad(loss)(p))

    clean = mean_grad(params)
    np.testing.assert_allclose(update(0, regularise.NONE), -clean, rtol=2e-4, atol=1e-7)
    u0, u1 = update(0, reg), update(1, reg)
    for step, u in ((0, u0), (1, u1)):
        noisy = reg.sample(params, jax.random.fold_in(jax.random.PRNGKey(0), step))
        np.testing.assert_allclose(u, -mean_grad(noisy), rtol=2e-3, atol=2e-6)
    # Noise of 0.075 on weights of ~0.05 moves the gradient a lot, and each
    # step's draw moves it differently.
    assert np.linalg.norm(u0 + clean) > 0.1 * np.linalg.norm(clean)
    assert np.linalg.norm(u0 - u1) > 0.1 * np.linalg.norm(clean)


def tiny(**over):
    c = smoke(base())
    c.num_steps, c.checkpoint_every, c.eval_every, c.log_every = 6, 6, 6, 3
    c.eval_test = False
    c.update(over)
    return c


def restored(workdir):
    config, meta, step = checkpoint.load_run_info(str(workdir))
    kind = kinds.make(config, meta)
    model = kind.build_model(nnx.Rngs(7))
    checkpoint.restore_params(str(workdir), step, model)
    return config, kind, model, step


def test_noise_is_off_at_evaluation_and_sampling(tmp_path):
    c = tiny()
    c.regularise.name, c.regularise.weight_noise_std = "weight_noise", STD
    summary = train.train_and_evaluate(c, str(tmp_path), devices=jax.devices()[:1])
    config, kind, model, step = restored(tmp_path)
    kind.load_data()
    graphdef, params = nnx.split(model, nnx.Param)
    b = config.eval_batch_size

    def valid_bpc(p):
        sums, _ = eval_loops.run(kind, graphdef, p, kind.eval_batches("valid", b, 0, 1), b)
        return kind.report(sums)["bpc"]

    assert summary["valid"]["bpc"] == pytest.approx(valid_bpc(params), rel=1e-6)
    noisy = regularise.WeightNoise(STD).sample(params, jax.random.key(3))
    assert summary["valid"]["bpc"] != pytest.approx(valid_bpc(noisy), rel=1e-3)

    # The run's sample at its last step, drawn again from the clean weights.
    rng = jax.random.fold_in(jax.random.PRNGKey(config.seed + 1), step)
    ids = generate.sample_text(model, kind.vocab, kind.default_prime(), config.sample.length,
                               config.sample.temperature, rng,
                               num_samples=config.sample.num_samples)
    written = (tmp_path / "samples" / f"step_{step:07d}.txt").read_text(encoding="utf-8")
    assert kind.vocab.decode(ids[0]) in written


def test_warm_start_loads_the_earlier_runs_params(tmp_path):
    one = jax.devices()[:1]
    train.train_and_evaluate(tiny(), str(tmp_path / "first"), devices=one)
    c = tiny(init_from=str(tmp_path / "first"), num_steps=3, eval_every=3)
    c.optim.learning_rate = 0.0  # nothing moves: the end is the start
    train.train_and_evaluate(c, str(tmp_path / "second"), devices=one)
    a = nnx.state(restored(tmp_path / "first")[2], nnx.Param)
    b = nnx.state(restored(tmp_path / "second")[2], nnx.Param)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)

    other = tiny(init_from=str(tmp_path / "first"))
    other.model.hidden = 48
    with pytest.raises(ConfigError, match=r"config.init_from=.*model.hidden: 32 -> 48"):
        train.train_and_evaluate(other, str(tmp_path / "third"), devices=one)
    # Other data is fine (a run goes on from another on new text) as long as
    # every parameter fits: another alphabet does not, and says so.
    text = tmp_path / "small.txt"
    text.write_text("a cab, a bad cab.\n" * 400, encoding="utf-8")
    elsewhere = tiny(init_from=str(tmp_path / "first"))
    elsewhere.data.dataset, elsewhere.data.path = "text_file", str(text)
    elsewhere.data.data_dir = str(tmp_path / "tfds")
    with pytest.raises(ConfigError, match=r"config.init_from=.*do not fit this config's model"):
        train.train_and_evaluate(elsewhere, str(tmp_path / "fifth"), devices=one)
    with pytest.raises(ConfigError, match=r"config.init_from=.* holds no checkpoints"):
        train.train_and_evaluate(tiny(init_from=str(tmp_path / "none")),
                                 str(tmp_path / "fourth"), devices=one)
    bad = tiny()
    bad.regularise.name = "dropout"
    with pytest.raises(ConfigError, match=r"config.regularise.name='dropout'"):
        train.train_and_evaluate(bad, str(tmp_path / "fifth"), devices=one)
