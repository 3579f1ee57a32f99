"""Verified writing (seqgen/handwriting/verify.py) with a fake writer and reader
whose failures are known: rates against the binomial, the batching, the choice."""

import jax
import numpy as np
import pytest

from seqgen.handwriting import verify


def _ink(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(), np.uint8)  # the fake reader reads it back exactly


def _read(lines):
    return [line.tobytes().decode() for line in lines]


class FakeWriter:
    """Drops each line's last word with probability `p_drop`; counts its calls."""

    def __init__(self, p_drop: float, seed: int = 0):
        self.p_drop, self.rng, self.calls = p_drop, np.random.default_rng(seed), []

    def __call__(self, texts, key):
        self.calls.append(len(texts))
        out = [" ".join(t.split()[:-1]) if self.rng.random() < self.p_drop else t
               for t in texts]
        return {"lines": [_ink(t) for t in out], "aligned": [True] * len(texts)}


def test_dropped_words_are_deletions_of_the_word_alignment():
    assert verify.dropped_words("the cat sat on the mat", "the sat on the mat") == 1
    assert verify.dropped_words("the cat sat", "the cot sat") == 0  # misread, not dropped
    assert verify.dropped_words("it may rain.", "") == 3
    c = verify.check("the cat sat", "the cot sat", True)
    assert c.cer == pytest.approx(1 / 11) and c.ok
    assert not verify.check("the cat sat", "the cat sat", False).ok  # window stopped short
    assert not verify.check("abcd efgh", "abzz efzz", True).ok  # CER 4/9 > MAX_CER


def test_a_line_is_written_again_until_it_reads_right():
    texts = [f"line {i} says hello" for i in range(200)]
    writer = FakeWriter(0.5)
    once = verify.verified_write(writer, _read, texts, jax.random.key(0), tries=1)
    n = len(texts)
    # Before: each line fails with probability 1/2 (4 standard deviations).
    assert abs(len(once.doubtful) / n - 0.5) < 4 * np.sqrt(0.25 / n)
    writer = FakeWriter(0.5, seed=1)
    got = verify.verified_write(writer, _read, texts, jax.random.key(0), tries=3, candidates=4,
                                max_rows=10_000)
    # After: a line fails only if all 9 versions did: 2^-9 each, so ~0.4 of 200.
    assert len(got.doubtful) <= 3
    assert all(c.ok for i, c in enumerate(got.checks) if i not in got.doubtful)
    assert [_read([line])[0] for line in got.lines] == [c.read for c in got.checks]
    # One batch per round: the page, then 4 candidates of each failing line.
    assert writer.calls[0] == n and writer.calls[1] == 4 * sum(a > 1 for a in got.attempts)
    assert all(a in (1, 5, 9) for a in got.attempts)


def test_a_retry_batch_fits_the_largest_page_bucket():
    writer = FakeWriter(0.5, seed=3)
    texts = [f"line {i} says hello" for i in range(16)]
    got = verify.verified_write(writer, _read, texts, jax.random.key(0))
    assert writer.calls[0] == 16 and all(c <= verify.MAX_ROWS for c in writer.calls[1:])
    # Fewer candidates each when many lines fail, never none.
    failing = sum(a > 1 for a in got.attempts)
    assert writer.calls[1] == failing * max(1, min(verify.CANDIDATES,
                                                   verify.MAX_ROWS // failing))


def test_a_hopeless_line_is_doubtful_after_every_try_and_the_best_is_kept():
    calls = []

    def write(texts, key):  # always drops words: "one" of "one two three"
        calls.append(len(texts))
        out = {"lines": [_ink(t.split()[0]) for t in texts], "aligned": [True] * len(texts)}
        if len(texts) > 1:  # the third candidate drops only one word: the one to keep
            out["lines"][2] = _ink(" ".join(texts[2].split()[:2]))
        return out

    got = verify.verified_write(write, _read, ["one two three"], jax.random.key(0))
    assert got.doubtful == [0] and got.attempts == [1 + 2 * verify.CANDIDATES]
    assert calls == [1, verify.CANDIDATES, verify.CANDIDATES]
    assert got.checks[0].read == "one two" and got.checks[0].dropped == 1
    assert _read(got.lines) == ["one two"]
    with pytest.raises(ValueError, match="tries=0"):
        verify.verified_write(write, _read, ["a"], jax.random.key(0), tries=0)
