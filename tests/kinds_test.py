"""The Kind contract: a kind from outside the package trains through the
generic loop, reloads, and benchmarks; a class that breaks the contract is
one line at load time; every shipped kind builds and steps on its own
example batch without its dataset."""

import jax
import numpy as np
import pytest
from flax import nnx
from toy_plugins import toy_kind

from seqgen import kinds, steps, train
from seqgen.command.errors import ConfigError
from seqgen.kinds import base, load_trained

TOY = "toy_plugins.toy_kind"


def _toy_config():
    c = toy_kind.Kind.default_config()
    c.model.num_layers, c.model.hidden = 1, 16
    c.batch_size = c.eval_batch_size = 8
    c.num_steps, c.eval_every, c.log_every, c.checkpoint_every = 2, 2, 1, 2
    c.optim.learning_rate = 1e-2
    return c


def test_a_kind_from_a_test_module_trains_through_train_and_evaluate(tmp_path):
    c = _toy_config()
    summary = train.train_and_evaluate(c, str(tmp_path), devices=jax.devices()[:1])
    assert summary["step"] == 2 and np.isfinite(summary["valid"]["nats"])
    # Uniform over 4 symbols is log 4 nats; two steps have not moved far from it.
    assert 0.5 * np.log(4) < summary["valid"]["nats"] < 2 * np.log(4)
    kind, model, config, step = load_trained(str(tmp_path))
    assert isinstance(kind, toy_kind.Kind) and step == 2 and config.kind == TOY
    assert (tmp_path / "metrics.jsonl").read_text().count('"split": "valid"') == 1


def test_a_class_that_breaks_the_contract_is_one_line(monkeypatch):
    monkeypatch.delattr(toy_kind.Kind, "loss_fn")
    with pytest.raises(ConfigError, match="lacks loss_fn"):
        kinds.get(TOY)
    with pytest.raises(ConfigError, match="no module seqgen.kinds.nope; use one of "
                                          "handwriting, recognition, synthesis, text"):
        kinds.get("nope")


def test_the_contract_lists_every_method_the_loop_calls():
    # What train.py, evaluate.py, sample.py and the benchmarks call.
    wanted = {"default_config", "example_meta", "example_batch", "load_data", "build_model",
              "loss_fn", "report", "train_batch", "windows_per_epoch", "eval_batches",
              "write_samples", "sample_command", "units"}
    assert wanted <= set(base.missing_members(object))


@pytest.mark.parametrize("name", [*kinds.builtin(), TOY])
def test_every_kind_steps_on_its_example_batch_without_data(name):
    cls = kinds.get(name)
    c = cls.default_config()
    c.model.num_layers, c.model.hidden = 1, 8
    kind = kinds.make_example(c, vocab=7, alphabet=6, chars=3)
    batch = kind.example_batch(2, 5, vocab=7, alphabet=6, chars=3)
    assert batch["reset"].shape == (2,) and batch["inputs"].shape[:2] == (2, 5)
    model = kind.build_model(nnx.Rngs(0))
    carry = model.init_carry(2)
    loss, (sums, _) = kind.loss_fn(model, carry, batch)
    assert np.isfinite(float(loss)) and float(sums["count"]) > 0
    assert all(np.isfinite(v) for v in kind.report(jax.device_get(sums)).values())
    graphdef, params = nnx.split(model, nnx.Param)
    _, eval_sums = steps.eval_step(graphdef, kind, params, carry, batch)
    assert float(eval_sums["nll"]) == pytest.approx(float(sums["nll"]), rel=1e-5)


def test_throughput_runs_any_kind_through_its_example_batch():
    from benchmarks import throughput

    r = throughput.run(model=TOY, layers=1, hidden=8, batch=8, seq=4, warmup=0, repeats=1,
                       gemm_size=32)
    assert r["model"] == TOY and r["units"] == "symbols" and r["step_gflop"] is None
    assert r["rows"][0]["symbols_per_s"] > 0
