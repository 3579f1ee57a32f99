"""The 1997 task generators against the paper's definitions (Hochreiter &
Schmidhuber 1997, section 5): lengths, marker positions, target formulas,
class rules; Reber strings against a regular expression for the grammar,
written independently of the generator's transition table."""

import re

import numpy as np
import pytest

from seqgen.command.errors import ConfigError
from seqgen.tasks import generators as tasks

# The Reber grammar as a regular expression, derived by hand from the
# automaton of Reber (1967) / Cleeremans et al. (1989):
#   from the state after "BTS*X":  S E  |  X T* V (V E | P <same state>)
_AFTER_X = r"(?:XT*VP)*(?:SE|XT*VVE)"
_AFTER_V = r"(?:VE|P" + _AFTER_X + ")"
REBER = r"B(?:TS*X" + _AFTER_X + r"|PT*V" + _AFTER_V + ")"
EMBEDDED = re.compile(r"B(?:T" + REBER + r"T|P" + REBER + r"P)E")


def test_reber_strings_follow_the_grammar():
    rng = np.random.default_rng(0)
    strings = [tasks.embedded_reber_string(rng) for _ in range(2000)]
    assert all(EMBEDDED.fullmatch(s) for s in strings)
    # Both branches, and the shortest embedded string (9 symbols) occur.
    assert {s[1] for s in strings} == {"T", "P"}
    assert min(map(len, strings)) == 9
    # A corrupted string is rejected by the same regex (the regex is not vacuous).
    s = strings[0]
    assert not EMBEDDED.fullmatch(s[:-2] + ("P" if s[1] == "T" else "T") + "E")


def test_reber_legal_next_symbols_by_hand():
    # B T | B T X S E | T E: the inner string is the shortest Reber string.
    assert tasks.embedded_reber_next("BTBTXSETE") == [
        "TP", "B", "TP", "SX", "XS", "E", "T", "E"]


def test_reber_legal_next_symbols_match_what_the_grammar_produces():
    """Every continuation seen in many samples is legal, and every legal
    symbol is seen after prefixes that occur often (each edge has p = 1/2)."""
    rng = np.random.default_rng(1)
    strings = [tasks.embedded_reber_string(rng) for _ in range(20000)]
    seen: dict[str, set[str]] = {}
    for s in strings:
        for t in range(1, len(s)):
            seen.setdefault(s[:t], set()).add(s[t])
    count: dict[str, int] = {}
    for s in strings:
        for t in range(1, len(s)):
            count[s[:t]] = count.get(s[:t], 0) + 1
    for s in strings[:300]:
        for t, legal in enumerate(tasks.embedded_reber_next(s)):
            prefix = s[:t + 1]
            assert seen[prefix] <= set(legal), (prefix, legal)
            if count[prefix] >= 40:
                assert seen[prefix] == set(legal), (prefix, legal)


def test_reber_sequences_and_sets():
    train, test = tasks.embedded_reber_sets(np.random.default_rng(3))
    assert len(train) == len(test) == 256
    assert tasks.embedded_reber_sets(np.random.default_rng(3)) == (train, test)  # a seed fixes them
    # Training strings first, then test strings, from the one stream.
    rng = np.random.default_rng(3)
    assert [tasks.embedded_reber_string(rng) for _ in range(512)] == train + test
    s = tasks.reber_sequences(train[:5])
    ids = {c: i for i, c in enumerate(tasks.REBER_SYMBOLS)}
    for n, string in enumerate(train[:5]):
        L = len(string) - 1
        assert s.length_N[n] == L and s.mask_NxT[n].sum() == L
        assert [tasks.REBER_SYMBOLS[i] for i in s.x[n, :L]] == list(string[:-1])
        assert [tasks.REBER_SYMBOLS[i] for i in s.y[n, :L]] == list(string[1:])
        # The actual next symbol is always legal; padding has no target.
        assert s.allowed_NxTxK[n, np.arange(L), s.y[n, :L]].all()
        assert not s.check_NxT[n, L:].any()
    assert s.allowed_NxTxK[0, 0].sum() == 2 and s.allowed_NxTxK[0, 1, ids["B"]]


def test_reber_legal_targets_put_a_one_on_every_legal_symbol():
    strings = ["BTBTXSETE", "BPBPVVEPE"]
    s = tasks.reber_sequences(strings, targets="legal")
    assert s.y.dtype == np.float32 and s.y.shape == (2, 8, 7)
    for n, string in enumerate(strings):
        for t, legal in enumerate(tasks.embedded_reber_next(string)):
            ones = [c for c, v in zip(tasks.REBER_SYMBOLS, s.y[n, t], strict=True) if v]
            assert ones == sorted(legal, key=tasks.REBER_SYMBOLS.index)
    with pytest.raises(ConfigError, match="task.targets"):
        tasks.reber_sequences(strings, targets="all")


@pytest.mark.parametrize("final_only", [False, True])
def test_long_lag_2a(final_only):
    p = 100
    s = tasks.long_lag(p, final_only)
    x_id, y_id = p - 1, p
    assert s.num_inputs == s.num_outputs == p + 1 and s.x.shape == (2, p)
    for n, first in enumerate((x_id, y_id)):
        full = np.concatenate([s.x[n], s.y[n, -1:]])  # the p + 1 elements
        assert full[0] == full[-1] == first
        np.testing.assert_array_equal(full[1:-1], np.arange(p - 1))  # a_1..a_{p-1}
        np.testing.assert_array_equal(s.y[n, :-1], s.x[n, 1:])  # next symbol
    expected_mask = np.zeros(p) if final_only else np.ones(p)
    expected_mask[-1] = 1
    np.testing.assert_array_equal(s.mask_NxT[0], expected_mask)
    b = tasks.long_lag_batch(np.random.default_rng(0), 4000, p)
    assert abs((b.x[:, 0] == x_id).mean() - 0.5) < 0.03
    np.testing.assert_array_equal(b.y[:, -1], b.x[:, 0])


def test_long_lag_noise_2c():
    q, p = 50, 20
    s = tasks.long_lag_noise(np.random.default_rng(0), 5000, q, p, max_extra=100)
    b, e, x_id = p, p + 1, p + 2
    assert s.num_inputs == p + 4 and s.num_outputs == 2
    L = s.length_N
    assert L.min() >= q + 3
    rows = np.arange(len(L))
    assert (s.x[:, 0] == b).all()
    assert np.isin(s.x[:, 1], [x_id, x_id + 1]).all()
    assert (s.x[rows, L - 1] == e).all()
    for n in range(200):
        middle = s.x[n, 2:L[n] - 1]
        assert (middle < p).all() and len(middle) >= q  # only distractors
        assert (s.x[n, L[n]:] == 0).all()
    # Target (x=0, y=1) after e only, equal to the second element.
    assert (s.mask_NxT.sum(1) == 1).all() and (s.mask_NxT[rows, L - 1] == 1).all()
    np.testing.assert_array_equal(s.y[rows, L - 1], s.x[:, 1] - x_id)
    # Extra distractors after the first q: geometric, continue w.p. 9/10 (mean 9).
    extra = L - (q + 3)
    assert abs(extra.mean() - 9.0) < 0.5
    assert abs((extra == 0).mean() - 0.1) < 0.015
    # Distractors are uniform over the p symbols.
    counts = np.bincount(s.x[:, 2:q + 2].ravel(), minlength=p)
    assert counts.min() > 0.9 * counts.mean() and counts.max() < 1.1 * counts.mean()


def _markers(x, L):
    """Positions of the 1.0 markers, read from the inputs alone."""
    return [np.flatnonzero(x[n, :L[n], 1] == 1.0) for n in range(len(L))]


@pytest.mark.parametrize("T", [100, 500])
def test_adding_problem(T):
    s = tasks.adding(np.random.default_rng(T), 4000, T)
    L, x = s.length_N, s.x
    assert L.min() >= T and L.max() <= T + T // 10 and x.shape[1] == T + T // 10
    assert len(np.unique(L)) > T // 20  # lengths spread over [T, T + T/10]
    rows = np.arange(len(L))
    assert (np.abs(x[..., 0]) <= 1).all() and x[..., 0].min() < -0.99
    marks = np.array(_markers(x, L))  # [N, 2], sorted
    # One mark among the first ten pairs, both among the first T/2 - 1.
    assert (marks[:, 0] < 10).all() and (marks[:, 1] < T // 2 - 1).all()
    assert (marks[:, 1] >= 10).mean() > 0.5  # the second reaches past ten
    assert abs((marks[:, 0] == 0).mean() - (0.1 + 0.9 / (T // 2 - 2))) < 0.02
    # Markers -1 at the first and the last pair unless marked, 0 elsewhere.
    first_marked = marks[:, 0] == 0
    assert ((x[:, 0, 1] == -1) | first_marked).all() and (x[rows, L - 1, 1] == -1).all()
    other = x[..., 1].copy()
    other[:, 0] = other[rows, L - 1] = 0
    other[rows, marks[:, 0]] = other[rows, marks[:, 1]] = 0
    assert (other == 0).all()
    # The paper's target 0.5 + (X1 + X2) / 4; a marked first pair counts 0.
    assert (x[first_marked, 0, 0] == 0).all()
    x1, x2 = x[rows, marks[:, 0], 0], x[rows, marks[:, 1], 0]
    np.testing.assert_allclose(s.y[rows, L - 1, 0], 0.5 + (x1 + x2) / 4, atol=1e-6)
    assert (s.mask_NxT.sum(1) == 1).all() and (s.mask_NxT[rows, L - 1] == 1).all()


def test_multiplication_problem():
    s = tasks.multiplication(np.random.default_rng(0), 3000, 100)
    L, x = s.length_N, s.x
    rows = np.arange(len(L))
    assert (x[..., 0] >= 0).all() and (x[..., 0] <= 1).all()
    marks = np.array(_markers(x, L))
    np.testing.assert_allclose(s.y[rows, L - 1, 0],
                               x[rows, marks[:, 0], 0] * x[rows, marks[:, 1], 0], atol=1e-6)
    # A marked first pair counts as 1 (the neutral factor).
    hit = marks[:, 0] == 0
    assert hit.any() and (x[hit, 0, 0] == 1.0).all()


@pytest.mark.parametrize("variant,windows", [
    ("6a", [(10, 20), (50, 60)]), ("6b", [(10, 20), (33, 43), (66, 76)])])
def test_temporal_order(variant, windows):
    s = tasks.temporal_order(np.random.default_rng(0), 3000, variant)
    sym = tasks.ORDER_SYMBOLS
    L = s.length_N
    assert L.min() == 100 and L.max() == 110
    assert s.num_outputs == 2 ** len(windows)
    classes = []
    for n in range(len(L)):
        seq = "".join(sym[i] for i in s.x[n, :L[n]])
        assert seq[0] == "E" and seq[-1] == "B"
        assert set(seq[1:-1]) <= set("abcdXY")
        relevant = [t + 1 for t, c in enumerate(seq) if c in "XY"]  # 1-based
        assert len(relevant) == len(windows)
        assert all(lo <= t <= hi for t, (lo, hi) in zip(relevant, windows, strict=True))
        order = "".join(seq[t - 1] for t in relevant)
        # The paper's classes: 6a Q=XX, R=XY, S=YX, U=YY; 6b XXX..YYY likewise.
        classes.append(int(order.replace("X", "0").replace("Y", "1"), 2))
        assert s.y[n, L[n] - 1] == classes[-1]
        assert s.mask_NxT[n].sum() == 1 and s.mask_NxT[n, L[n] - 1] == 1
    counts = np.bincount(classes, minlength=s.num_outputs)
    assert counts.min() > 0.8 * counts.mean()


@pytest.mark.parametrize("pattern", tasks.PERIODIC_PATTERNS)
def test_periodic_strings(pattern):
    T, P = 30, len(pattern)
    s = tasks.periodic_all_phases(pattern, T)
    assert len(s) == P
    repeated = pattern * (T // P + 3)
    phases = set()
    for n in range(P):
        full = "".join(map(str, np.concatenate([s.x[n], s.y[n, -1:]])))
        phases |= {ph for ph in range(P) if repeated[ph:ph + T + 1] == full}
        np.testing.assert_array_equal(s.y[n, :-1], s.x[n, 1:])
    assert phases == set(range(P))  # the repeated pattern, every phase once
    assert not s.check_NxT[:, :P].any() and s.check_NxT[:, P:].all()


def test_bad_task_parameters_fail_with_the_setting_named():
    with pytest.raises(ConfigError, match="task.p"):
        tasks.long_lag(1)
    with pytest.raises(ConfigError, match="task.variant"):
        tasks.temporal_order(np.random.default_rng(0), 2, "6c")
    with pytest.raises(ConfigError, match="task.pattern"):
        tasks.periodic("012", np.arange(1), 10)


def test_generators_are_deterministic_by_seed():
    a = tasks.adding(np.random.default_rng(7), 10, 100)
    b = tasks.adding(np.random.default_rng(7), 10, 100)
    np.testing.assert_array_equal(a.x, b.x)
    c = tasks.adding(np.random.default_rng(8), 10, 100)
    assert not np.array_equal(a.x, c.x)
