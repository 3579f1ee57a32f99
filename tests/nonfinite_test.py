"""Non-finite steps: a poisoned batch (NaN pen offsets) is never applied;
config.nonfinite_policy skips and counts it, or halts with a one-line error
naming the step and the metric, and the checkpoints stay finite."""

import json

import jax
import numpy as np
import pytest
from flax import nnx

from seqgen import checkpoint, kinds, train
from seqgen.command.errors import NonFiniteError
from seqgen.config import handwriting as handwriting_config


def tiny(**over):
    c = handwriting_config.smoke(handwriting_config.base())
    c.data.num_train, c.data.num_valid, c.data.num_test = 16, 8, 8
    c.model.hidden = 16
    c.num_steps = 6
    c.checkpoint_every = 1
    c.keep_checkpoints = 10
    c.eval_every = 6
    c.log_every = 1
    c.eval_test = False
    c.update(over)
    return c


def poison(monkeypatch, config, steps):
    cls = kinds.make(config).__class__
    real = cls.train_batch

    def poisoned(self, step, *a):
        batch = real(self, step, *a)
        if step in steps:  # step s (0-based) makes update s + 1
            batch = dict(batch, inputs=np.full_like(batch["inputs"], np.nan))
        return batch

    monkeypatch.setattr(cls, "train_batch", poisoned)


def params_at(workdir, step):
    config, meta, _ = checkpoint.load_run_info(str(workdir), step)
    model = kinds.make(config, meta).build_model(nnx.Rngs(7))
    checkpoint.restore_params(str(workdir), step, model)
    return jax.tree.leaves(nnx.state(model, nnx.Param))


def test_skip_leaves_params_untouched_and_counts(tmp_path, monkeypatch):
    c = tiny()
    poison(monkeypatch, c, {2})  # update 3
    summary = train.train_and_evaluate(c, str(tmp_path))
    assert summary["step"] == 6 and np.isfinite(summary["valid"]["nats_per_point"])
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    skipped = {r["step"]: r["skipped_steps"] for r in rows if r["split"] == "train"}
    assert skipped[3] == 1 and sum(skipped.values()) == 1
    assert all(np.isfinite(r["loss"]) for r in rows if r["split"] == "train")
    before, after, later = params_at(tmp_path, 2), params_at(tmp_path, 3), params_at(tmp_path, 4)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)  # the poisoned update changed nothing
    assert any(not np.array_equal(a, b) for a, b in zip(after, later, strict=True))
    assert all(np.isfinite(x).all() for x in params_at(tmp_path, 6))


@pytest.mark.parametrize("policy, steps, halt_at, streak", [
    ("skip", {2, 3}, 4, 2),  # nonfinite_max_consecutive=2 in a row
    ("halt", {2}, 3, 1),     # at once
])
def test_halt_names_the_step_and_keeps_finite_checkpoints(tmp_path, monkeypatch, policy,
                                                          steps, halt_at, streak):
    c = tiny(nonfinite_policy=policy, nonfinite_max_consecutive=2)
    poison(monkeypatch, c, steps)
    with pytest.raises(NonFiniteError) as e:
        train.train_and_evaluate(c, str(tmp_path))
    message = str(e.value)
    assert "\n" not in message
    assert f"step {halt_at}: non-finite loss ({streak} step(s) in a row" in message
    latest = checkpoint.Checkpointer(str(tmp_path), keep=10, every=1).latest_step()
    assert latest is not None and latest <= halt_at + 1
    for x in params_at(tmp_path, latest):
        assert np.isfinite(x).all()
    np.testing.assert_array_equal(params_at(tmp_path, latest)[0], params_at(tmp_path, 2)[0])
