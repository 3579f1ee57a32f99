"""TBPTT batcher and evaluation batches, checked on position-valued tokens.

With tokens = arange(N) every id is its own position in the source, so a batch
shows directly where each row reads from; the expectations below are stated
in those positions, independently of how the batcher computes them.
"""
import numpy as np
import pytest

from seqgen.data.tbptt import TBPTTBatcher, eval_batches, num_eval_batches

N, B, T = 5_003, 4, 7


def positions(n=N):
    return np.arange(n, dtype=np.uint32)


def test_shapes_dtypes_and_targets_shifted_by_one():
    batcher = TBPTTBatcher(positions(), B, T, seed=0)
    batch = batcher.batch(0)
    assert batch["inputs"].shape == batch["targets"].shape == (B, T)
    assert batch["inputs"].dtype == batch["targets"].dtype == np.int32
    assert batch["reset"].dtype == bool and batch["reset"].shape == (B,)
    np.testing.assert_array_equal(batch["targets"], batch["inputs"] + 1)
    # Inside a window each row reads consecutive positions.
    np.testing.assert_array_equal(np.diff(batch["inputs"], axis=1), 1)


def test_rows_continue_where_they_stopped_and_cover_a_contiguous_block():
    batcher = TBPTTBatcher(positions(), B, T, seed=3)
    w = batcher.windows_per_epoch
    # Nearly all of the data is used each epoch (at most ~2 windows per row spare).
    assert B * T * w >= N - 1 - 2 * B * T
    for epoch in range(3):
        batches = [batcher.batch(epoch * w + k) for k in range(w)]
        for prev, nxt in zip(batches, batches[1:], strict=False):
            np.testing.assert_array_equal(nxt["inputs"][:, 0],
                                          prev["inputs"][:, -1] + 1)
        seen = np.concatenate([b["inputs"] for b in batches], axis=1)  # row streams
        # Row b + 1's stream starts right after row b's stream ends.
        np.testing.assert_array_equal(seen[1:, 0], seen[:-1, -1] + 1)
        flat = np.sort(seen.ravel())
        np.testing.assert_array_equal(flat, np.arange(flat[0], flat[0] + B * T * w))
        assert batches[-1]["targets"].max() <= N - 1


def test_reset_flags():
    batcher = TBPTTBatcher(positions(), B, T, seed=0)
    w = batcher.windows_per_epoch
    for step in range(2 * w + 2):
        assert batcher.batch(step)["reset"].tolist() == [step % w == 0] * B
    every = TBPTTBatcher(positions(), B, T, seed=0, reset_every=3)
    for step in range(2 * w + 2):
        window = step % w
        assert every.batch(step)["reset"].all() == (window % 3 == 0)


def test_batches_are_a_pure_function_of_seed_and_step():
    a = TBPTTBatcher(positions(), B, T, seed=11)
    b = TBPTTBatcher(positions(), B, T, seed=11)
    steps = [0, 5, a.windows_per_epoch + 2, 7 * a.windows_per_epoch]
    first = {s: a.batch(s) for s in steps}
    for s in reversed(steps):  # a "resumed" batcher, asked in another order
        for key in ("inputs", "targets", "reset"):
            np.testing.assert_array_equal(b.batch(s)[key], first[s][key])


def test_epochs_and_seeds_differ():
    batcher = TBPTTBatcher(positions(), B, T, seed=0)
    w = batcher.windows_per_epoch
    starts = {int(batcher.batch(e * w)["inputs"][0, 0]) for e in range(8)}
    assert len(starts) > 1
    other = TBPTTBatcher(positions(), B, T, seed=1)
    assert any(not np.array_equal(batcher.batch(e * w)["inputs"],
                                  other.batch(e * w)["inputs"]) for e in range(8))


@pytest.mark.parametrize("process_count", [2, 4])
def test_process_shards_union_is_the_global_batch(process_count):
    full = TBPTTBatcher(positions(), B, T, seed=5)
    for step in (0, 3, full.windows_per_epoch + 1):
        parts = [TBPTTBatcher(positions(), B, T, seed=5, process_index=p,
                              process_count=process_count).batch(step)
                 for p in range(process_count)]
        for key in ("inputs", "targets", "reset"):
            np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]),
                                          full.batch(step)[key])


def test_small_split_with_exactly_one_window():
    batcher = TBPTTBatcher(positions(B * T + 1), B, T, seed=0)
    assert batcher.windows_per_epoch == 1
    batch = batcher.batch(0)
    np.testing.assert_array_equal(batch["inputs"].ravel(), np.arange(B * T))


def test_errors_name_the_setting_and_the_fix():
    with pytest.raises(ValueError,
                       match="batch_size=6 is not divisible by process_count=4"):
        TBPTTBatcher(positions(), 6, T, seed=0, process_count=4)
    with pytest.raises(ValueError,
                       match=r"100 tokens.*seq_len <= 24 or batch_size <= 1"):
        TBPTTBatcher(positions(100), B, 50, seed=0)
    with pytest.raises(ValueError, match="at least 2"):
        TBPTTBatcher(positions(0), B, T, seed=0)
    with pytest.raises(ValueError, match="positive"):
        TBPTTBatcher(positions(), B, 0, seed=0)


@pytest.mark.parametrize("n,batch_size,seq_len", [
    (N, B, T), (1_001, 8, 10), (9, 4, 3), (3, 8, 5), (4 * 5 + 1, 4, 5)])
def test_eval_batches_cover_every_prediction_once(n, batch_size, seq_len):
    batches = list(eval_batches(positions(n), batch_size, seq_len))
    assert len(batches) == num_eval_batches(n, batch_size, seq_len)
    targets = []
    for k, batch in enumerate(batches):
        mask = batch["mask"].astype(bool)
        assert batch["mask"].dtype == np.float32
        assert batch["reset"].tolist() == [k == 0] * batch_size
        np.testing.assert_array_equal(batch["targets"][mask], batch["inputs"][mask] + 1)
        assert not batch["inputs"][~mask].any() and not batch["targets"][~mask].any()
        targets.append(batch["targets"][mask])
        if k:  # state carried: each row continues from its previous window
            prev = batches[k - 1]
            rows = mask[:, 0]
            np.testing.assert_array_equal(batch["inputs"][rows, 0],
                                          prev["inputs"][rows, -1] + 1)
    np.testing.assert_array_equal(np.sort(np.concatenate(targets)), np.arange(1, n))


def test_eval_batches_shard_like_the_batcher():
    full = list(eval_batches(positions(), 8, T))
    parts = [list(eval_batches(positions(), 8, T, process_index=p, process_count=4))
             for p in range(4)]
    for k, batch in enumerate(full):
        for key in ("inputs", "targets", "mask", "reset"):
            np.testing.assert_array_equal(
                np.concatenate([part[k][key] for part in parts]), batch[key])


def test_eval_errors():
    with pytest.raises(ValueError, match="at least 2"):
        list(eval_batches(positions(1), B, T))
    with pytest.raises(ValueError, match="not divisible"):
        list(eval_batches(positions(), 6, T, process_count=4))
