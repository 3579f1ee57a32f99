"""Synthesis batches: each row's characters are its own line's transcription
(lines carry their index in their first offset), text padding is bucketed
over the global batch, empty texts are dropped and counted, and prediction
batches stay as they were; a dataset registered from outside seqgen/ loads by name."""

import logging

import numpy as np
import pytest

from seqgen.command.errors import ConfigError
from seqgen.data import handwriting as hw_data
from seqgen.data import strokes
from seqgen.data.transcripts import Alphabet, TranscriptError

STATS = strokes.OffsetStats(mean=np.array([2.0, -1.0]), std=np.array([3.0, 0.5]))
CHARSET = "abcdefgh XYZ.,"


def make_data(n, seed=0, lo=5, hi=60, empty=()):
    """Lines whose row 0 holds (index, 0, 0) and random texts of 1..40 characters."""
    rng = np.random.default_rng(seed)
    lines, texts = [], []
    for i in range(n):
        length = int(rng.integers(lo, hi))
        line = rng.normal(size=(length, 3)).astype(np.float32)
        line[:, 2] = rng.random(length) < 0.2
        line[0] = (i, 0, 0)
        lines.append(line)
        k = int(rng.integers(1, 41))
        texts.append("" if i in empty else "".join(rng.choice(list(CHARSET), size=k)))
    return lines, texts


def row_index(batch, row):
    """The line a row comes from: its first input is the normalised index."""
    return int(round(batch["inputs"][row, 0, 0] * STATS.std[0] + STATS.mean[0]))


def reverse_map(texts):
    return {i: c for i, c in enumerate(sorted(set("".join(texts))), start=1)}


def check_rows(batch, texts, forward, rows=None):
    B, U = batch["chars"].shape
    assert batch["chars"].dtype == np.int32 and batch["char_mask"].dtype == np.float32
    assert batch["char_mask"].shape == (B, U) and U % 16 == 0
    seen = []
    for row in range(B) if rows is None else rows:
        i = row_index(batch, row)
        n = int(batch["char_mask"][row].sum())
        assert n == len(texts[i])
        assert "".join(forward[c] for c in batch["chars"][row, :n]) == texts[i]
        assert not batch["chars"][row, n:].any() and not batch["char_mask"][row, n:].any()
        seen.append(i)
    return seen


def test_rows_carry_their_own_transcription_and_cover_the_epoch():
    lines, texts = make_data(60, empty={3, 17})
    lines.append(np.zeros((100, 3), np.float32))  # too long
    texts.append("abc")
    alphabet = Alphabet.from_texts(texts)
    forward = reverse_map(texts)
    b = hw_data.LineBatcher(lines, STATS, 8, max_points=80, bucket=16, seed=3, texts=texts,
                            alphabet=alphabet, char_bucket=16)
    assert (b.dropped, b.dropped_long, b.dropped_text) == (3, 1, 2)
    assert b.windows_per_epoch == 58 // 8
    seen = []
    for step in range(b.windows_per_epoch):
        batch = b.batch(step)
        seen += check_rows(batch, texts, forward)
        longest = max(len(texts[i]) for i in seen[-8:])
        assert batch["chars"].shape[1] == max(16, -(-longest // 16) * 16)
    assert len(set(seen)) == len(seen) == b.windows_per_epoch * 8
    assert not {3, 17, 60} & set(seen)


def test_processes_split_the_global_batch_with_texts():
    lines, texts = make_data(40, seed=1)
    alphabet = Alphabet.from_texts(texts)
    kw = dict(max_points=80, bucket=16, seed=0, texts=texts, alphabet=alphabet)
    for step in (0, 3):
        whole = hw_data.LineBatcher(lines, STATS, 8, **kw).batch(step)
        parts = [hw_data.LineBatcher(lines, STATS, 8, process_index=p, process_count=4,
                                     **kw).batch(step) for p in range(4)]
        assert len({p["chars"].shape for p in parts}) == 1
        for key in ("inputs", "targets", "mask", "chars", "char_mask"):
            np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), whole[key])


def test_prediction_batches_have_no_text_and_are_unchanged():
    lines, texts = make_data(40, seed=2)
    plain = hw_data.LineBatcher(lines, STATS, 8, max_points=80, bucket=16, seed=5)
    written = hw_data.LineBatcher(lines, STATS, 8, max_points=80, bucket=16, seed=5,
                                  texts=texts, alphabet=Alphabet.from_texts(texts))
    batch = plain.batch(2)
    assert set(batch) == {"inputs", "targets", "mask", "reset"}
    other = written.batch(2)
    for key in batch:
        np.testing.assert_array_equal(other[key], batch[key])
    evals = list(hw_data.eval_batches(lines, STATS, 8, max_points=80, bucket=16))
    assert all(set(e) == {"inputs", "targets", "mask", "reset"} for e in evals)


def test_eval_batches_with_texts_count_every_line_once():
    lines, texts = make_data(21, seed=4, empty={5})
    alphabet = Alphabet.from_texts(texts)
    forward = reverse_map(texts)
    kw = dict(max_points=80, bucket=16, texts=texts, alphabet=alphabet, char_bucket=16)
    batches = list(hw_data.eval_batches(lines, STATS, 8, **kw))
    assert len(batches) == 3  # 20 lines with text
    seen = []
    for batch in batches:
        real = [r for r in range(8) if batch["mask"][r].any()]
        seen += check_rows(batch, texts, forward, real)
        filler = [r for r in range(8) if r not in real]
        assert not batch["char_mask"][filler].any() and not batch["chars"][filler].any()
    assert sorted(seen) == [i for i in range(21) if i != 5]
    assert sum(b["char_mask"].sum() for b in batches) == sum(len(t) for t in texts)
    parts = [list(hw_data.eval_batches(lines, STATS, 8, process_index=p, process_count=2, **kw))
             for p in (0, 1)]
    for k, whole in enumerate(batches):
        for key in ("chars", "char_mask", "mask"):
            np.testing.assert_array_equal(
                np.concatenate([parts[0][k][key], parts[1][k][key]]), whole[key])


def test_unwritable_training_texts_are_dropped_and_fallbacks_warned_once(caplog):
    lines, texts = make_data(30, seed=5)
    texts[4] = "abc \U0001f600"  # an emoji: no fallback
    texts[9] = "Hab"  # 'H' never occurs elsewhere: left out by min_count, falls back
    alphabet = Alphabet.from_texts(texts, min_count=2)
    with caplog.at_level(logging.WARNING):
        b = hw_data.LineBatcher(lines, STATS, 8, max_points=80, bucket=16, seed=0,
                                texts=texts, alphabet=alphabet)
    assert b.dropped_text == 1 and 4 not in b.keep and 9 in b.keep
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'H'->" in warnings[0]
    assert b.keep == [i for i in range(30) if i != 4]  # every line is short enough
    # A text with nothing to write (empty or blank) is left out the same way.
    blank = hw_data.LineBatcher(lines, STATS, 8, max_points=80, bucket=16, seed=0,
                                texts=["", " "] + texts[2:], alphabet=alphabet)
    assert blank.keep == [i for i in range(30) if i not in (0, 1, 4)]
    assert blank.dropped_text == 3 and blank.dropped_long == 0


def test_text_batch_for_writing():
    alphabet = Alphabet.from_texts(["hello world", "Bye."])
    forward = reverse_map(["hello world", "Bye."])
    chars, mask = hw_data.text_batch(["hello", "Bye. world"], alphabet, 16)
    assert chars.shape == mask.shape == (2, 16) and chars.dtype == np.int32
    np.testing.assert_array_equal(mask.sum(1), [5, 10])
    assert "".join(forward[c] for c in chars[1, :10]) == "Bye. world"
    chars, mask = hw_data.text_batch(["hello", "Bye. world"], alphabet)
    assert chars.shape == (2, 10)
    with pytest.raises(TranscriptError, match="'\\\\x07'"):
        hw_data.text_batch(["hel\x07lo"], alphabet, 16)
    with pytest.raises(TranscriptError, match="empty"):
        hw_data.text_batch(["hello", ""], alphabet, 16)


def test_bad_text_settings_are_one_line_errors():
    lines, texts = make_data(20, seed=6)
    alphabet = Alphabet.from_texts(texts)
    kw = dict(max_points=80, bucket=16, seed=0)
    with pytest.raises(ConfigError, match="both texts and an alphabet"):
        hw_data.LineBatcher(lines, STATS, 8, texts=texts, **kw)
    with pytest.raises(ConfigError, match="aligned"):
        hw_data.LineBatcher(lines, STATS, 8, texts=texts[:-1], alphabet=alphabet, **kw)
    with pytest.raises(ConfigError, match="char_bucket"):
        hw_data.LineBatcher(lines, STATS, 8, texts=texts, alphabet=alphabet, char_bucket=0,
                            **kw)
    with pytest.raises(ConfigError, match="writable text"):
        hw_data.LineBatcher(lines, STATS, 8, texts=[""] * 20, alphabet=alphabet, **kw)


def test_a_registered_handwriting_dataset_loads_by_name():
    lines, texts = make_data(12, seed=7)
    ids = tuple(f"toy-{i}" for i in range(12))
    lines_set = strokes.StrokeSet(tuple(lines), tuple(texts), ids, ("pen",) * 12)

    @hw_data.DATASETS.register("toy_lines")
    def load_toy(data_config):  # a plugin's loader: data_config -> HandwritingSplits
        return strokes.HandwritingSplits(lines_set, lines_set, lines_set,
                                         strokes.compute_stats(lines), "toy_lines", {})

    try:
        splits = hw_data.load_handwriting({"dataset": "toy_lines"})
        assert splits.train is lines_set and splits.name == "toy_lines"
        with pytest.raises(ValueError, match="already registered"):
            hw_data.DATASETS.register("toy_lines")(load_toy)
    finally:
        hw_data.DATASETS.unregister("toy_lines")
    with pytest.raises(ConfigError) as err:
        hw_data.load_handwriting({"dataset": "toy_lines"})
    assert str(err.value) == ("config.data.dataset='toy_lines' is not a handwriting "
                              "dataset; use one of drawn, iam_ondb")
