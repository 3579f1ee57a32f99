"""Static and dynamic evaluation: a symbol is scored before the model
adapts to it (causality), a zero learning rate is static evaluation, and
adapting helps on text that repeats."""

import json
import subprocess
import sys

import numpy as np
import pytest
from flax import nnx

from seqgen import eval_loops, kinds, train
from seqgen.config.text import base, smoke


@pytest.fixture(scope="module")
def setup():
    c = smoke(base())
    c.model.hidden = 32
    kind = kinds.make(c)
    kind.load_data()
    graphdef, params = nnx.split(kind.build_model(nnx.Rngs(0)), nnx.Param)
    batches = list(kind.eval_batches("valid", 4, 0, 1))[:6]
    assert len(batches) == 6
    return kind, graphdef, params, batches


def nll(segments):
    return np.array([float(s["nll"]) for s in segments])


def test_each_segment_is_scored_before_the_model_adapts_to_it(setup):
    kind, graphdef, params, batches = setup
    changed = [dict(b) for b in batches]
    k = 3
    changed[k]["targets"] = np.roll(changed[k]["targets"], 1, axis=1)  # other data at k
    _, a = eval_loops.run(kind, graphdef, params, batches, 4, dynamic=True, lr=0.5)
    _, b = eval_loops.run(kind, graphdef, params, changed, 4, dynamic=True, lr=0.5)
    np.testing.assert_array_equal(nll(a)[:k], nll(b)[:k])  # the past never sees the future
    assert nll(a)[k] != nll(b)[k]
    assert np.all(nll(a)[k + 1:] != nll(b)[k + 1:])  # adapted to different data at k
    _, s = eval_loops.run(kind, graphdef, params, batches, 4)
    assert nll(a)[0] == pytest.approx(nll(s)[0], rel=1e-6)  # first segment: nothing learnt yet


@pytest.mark.parametrize("method", ["sgd", "rms"])
def test_zero_learning_rate_is_static_evaluation(setup, method):
    kind, graphdef, params, batches = setup
    static, _ = eval_loops.run(kind, graphdef, params, batches, 4)
    dynamic, _ = eval_loops.run(kind, graphdef, params, batches, 4, dynamic=True,
                              method=method, lr=0.0, decay=0.0)
    for key in static:
        np.testing.assert_allclose(dynamic[key], static[key], rtol=1e-5)


def test_adapting_lowers_the_loss_on_text_that_repeats(setup):
    kind, graphdef, params, batches = setup
    repeated = [dict(batches[0], reset=np.ones_like(batches[0]["reset"]))] * 6
    _, s = eval_loops.run(kind, graphdef, params, repeated, 4)
    _, d = eval_loops.run(kind, graphdef, params, repeated, 4, dynamic=True, lr=3.0)
    assert np.all(np.diff(nll(s)) == 0)  # static: the same score every time
    assert np.all(np.diff(nll(d)) < 0)  # dynamic: better at every repeat
    assert nll(d)[-1] < 0.9 * nll(s)[-1]


@pytest.mark.slow  # end to end: python -m pytest -q -m slow tests
def test_cli_static_and_dynamic_side_by_side(tmp_path):
    c = smoke(base())
    c.num_steps, c.eval_every, c.eval_test = 4, 4, False
    train.train_and_evaluate(c, str(tmp_path))
    out = tmp_path / "eval.json"
    proc = subprocess.run([sys.executable, "-m", "seqgen.evaluate", f"--workdir={tmp_path}",
                           "--split=test", "--dynamic", "--lr=1e-3", f"--out={out}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text())
    for column in ("static", "dynamic"):
        assert {"bpc", "perplexity", "error_pct"} <= set(report[column])
        assert report[column]["perplexity"] == pytest.approx(np.exp(report[column]["nats"]))
    assert "| bpc |" in proc.stdout
    # The training split too: how closely the model fits what it learned from.
    fit = subprocess.run([sys.executable, "-m", "seqgen.evaluate", f"--workdir={tmp_path}",
                          "--split=train"], capture_output=True, text=True, timeout=300)
    assert fit.returncode == 0, fit.stderr[-2000:]
    report = json.loads((tmp_path / "eval_train.json").read_text())
    assert report["split"] == "train" and np.isfinite(report["static"]["bpc"])
    bad = subprocess.run([sys.executable, "-m", "seqgen.evaluate", f"--workdir={tmp_path}",
                          "--split=dev"], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and bad.stderr.strip().splitlines()[-1].startswith("FATAL")
