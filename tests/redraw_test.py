"""Training lines drawn anew each epoch (data.redraw_every_epoch): new ink for
the same texts and writers, fixed validation lines and statistics, and
batches that stay a pure function of the step, so a resumed run is exact."""

import dataclasses
import threading

import numpy as np
import pytest

from seqgen import kinds
from seqgen.command.errors import ConfigError
from seqgen.config import handwriting as handwriting_config
from seqgen.data import drawn, epochs, strokes
from seqgen.data import handwriting as hw_data

SMALL = {"num_train": 24, "num_valid": 4, "num_test": 2, "max_chars": 20,
         "fonts": "all", "writers": 6, "valid_writers": 2, "test_writers": 2}


@pytest.fixture(scope="module")
def splits():
    return drawn.load_drawn(SMALL)


def test_epochs_draw_new_ink_for_the_same_texts_and_writers(splits):
    train = splits.train
    one, two = splits.redraw_train(1), splits.redraw_train(2)
    for epoch in (one, two):
        assert (epoch.texts, epoch.writers, epoch.ids) == (train.texts, train.writers, train.ids)
        # Every line is other ink: a model cannot learn the epoch-0 arrays by heart.
        assert not any(np.array_equal(a, b) for a, b in zip(epoch.lines, train.lines,
                                                             strict=True))
    assert not any(np.array_equal(a, b) for a, b in zip(one.lines, two.lines, strict=True))
    # Epoch 0 is the loaded lines; an epoch drawn again (a resumed run) is identical.
    for a, b in zip(splits.redraw_train(0).lines, train.lines, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(drawn.load_drawn(SMALL).redraw_train(1).lines, one.lines, strict=True):
        np.testing.assert_array_equal(a, b)


def test_held_out_writers_stay_out_of_every_epoch(splits):
    kept = hw_data.hold_out_writers(splits, ["train-w0001"])
    epoch = kept.redraw_train(1)
    assert "train-w0001" not in epoch.writers and epoch.ids == kept.train.ids
    assert len(epoch.lines) == len(splits.train.lines) - 4  # 24 lines by 6 writers


def _kind(redraw=True, **data):
    c = handwriting_config.smoke(handwriting_config.synthesis_base())
    c.data.update({"num_train": 48, "num_valid": 8, "num_test": 8, "writers": 6,
                   "fonts": "all", "redraw_every_epoch": redraw, **data})
    kind = kinds.make(c)
    kind.load_data()
    return kind


def test_batches_are_a_pure_function_of_the_step_across_epochs():
    fresh = _kind()
    W = fresh.windows_per_epoch()
    stats = dict(fresh.meta["stats"])
    valid = list(fresh.eval_batches("valid", 8, 0, 1))
    run = {step: fresh.train_batch(step, 0, 1) for step in range(0, 2 * W + 2)}
    # Resumed at a step of epoch 1, then of epoch 2, by a new process (a new kind).
    resumed = _kind()
    for step in (W + 3, W + 4, 2 * W + 1):
        again = resumed.train_batch(step, 0, 1)
        for key in run[step]:
            np.testing.assert_array_equal(again[key], run[step][key], err_msg=f"{step} {key}")
    # Epoch 0 is the run without redraw; epoch 1 is not.
    plain = _kind(redraw=False)
    assert plain.windows_per_epoch() == W
    for key in run[2]:
        np.testing.assert_array_equal(plain.train_batch(2, 0, 1)[key], run[2][key])
    assert any(not np.array_equal(plain.train_batch(W + k, 0, 1)["inputs"],
                                  run[W + k]["inputs"]) for k in range(W))
    # The statistics stay epoch 0's, in meta and in the batches: every line
    # starts at the raw origin, normalised with them.
    assert fresh.meta["stats"] == stats
    start = -np.asarray(stats["mean"]) / np.asarray(stats["std"])
    for step in (W, W + 1, 2 * W):
        np.testing.assert_allclose(run[step]["inputs"][:, 0, :2],
                                   np.broadcast_to(start, (8, 2)), rtol=1e-5)
    # The redrawn lines would give other statistics: the meta did not follow them.
    redrawn = strokes.compute_stats(fresh.splits.redraw_train(1).lines)
    assert not np.allclose(redrawn.std, stats["std"])
    # Validation lines are drawn once: the same batches after two redraws.
    for a, b in zip(valid, fresh.eval_batches("valid", 8, 0, 1), strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_epoch_1_is_drawn_while_epoch_0_trains():
    kind = _kind()
    asked, redraw = [], kind.splits.redraw_train

    def recording(epoch):
        asked.append(epoch)
        return redraw(epoch)

    kind.splits = dataclasses.replace(kind.splits, redraw_train=recording)
    kind.train_batch(0, 0, 1)
    for _ in range(200):  # the background thread asks soon after the first batch
        if asked:
            break
        threading.Event().wait(0.01)
    assert asked == [1]


def test_a_dataset_that_cannot_redraw_refuses_the_setting(monkeypatch, splits):
    recorded = dataclasses.replace(splits, name="iam_ondb", redraw_train=None)
    monkeypatch.setattr(hw_data, "load_handwriting", lambda data: recorded)
    with pytest.raises(ConfigError, match="config.data.redraw_every_epoch=True") as e:
        _kind()
    assert "\n" not in str(e.value) and "iam_ondb" in str(e.value)
    assert _kind(redraw=False).splits is recorded  # off, nothing changes


def test_the_next_epoch_is_drawn_in_the_background_once():
    calls, gate = [], threading.Event()

    def redraw(epoch):
        calls.append(epoch)
        if epoch == 2:
            gate.wait(5)  # epoch 2 is still drawing while epoch 1 trains
        return [np.full((3, 3), epoch, np.float32)]

    lines = epochs.EpochLines([np.zeros((3, 3), np.float32)], redraw)
    assert lines(0)[0][0, 0] == 0  # epoch 0: the loaded lines, never redrawn
    assert lines(1)[0][0, 0] == 1 and lines(1)[0][0, 0] == 1
    for _ in range(100):  # asking for epoch 1 started epoch 2, which waits at the gate
        if 2 in calls:
            break
        threading.Event().wait(0.01)
    assert 2 in calls
    gate.set()
    assert lines(2)[0][0, 0] == 2 and lines(3)[0][0, 0] == 3
    assert 0 not in calls and calls.count(1) == calls.count(2) == calls.count(3) == 1

    def broken(epoch):
        raise ValueError(f"no ink for epoch {epoch}")

    with pytest.raises(ValueError, match="epoch 1"):
        epochs.EpochLines([], broken)(1)


def test_a_redrawn_line_too_long_is_trained_as_drawn_first():
    rng = np.random.default_rng(0)
    first = [rng.normal(size=(n, 3)).astype(np.float32) for n in rng.integers(5, 40, 20)]
    for line in first:
        line[:, 2], line[0] = 0, 0
    longer = [np.concatenate([line, line]) for line in first]  # some exceed max_points
    stats = strokes.compute_stats(first)
    b = hw_data.LineBatcher(first, stats, 4, max_points=40, bucket=8, seed=0,
                            epoch_lines=lambda epoch: longer)
    W = b.windows_per_epoch
    too_long = sum(len(line) > 40 for line in longer)
    lengths = {int(m.sum()) + 1 for s in range(W, 2 * W) for m in b.batch(s)["mask"]}
    assert b.kept_first == {1: too_long} and 0 < too_long < len(first)
    assert max(lengths) <= 40 and lengths & {len(line) for line in longer}
