"""The long-time-lag tasks of Hochreiter & Schmidhuber (1997), section 5,
and the periodic toy strings of char-level tutorials, as numpy generators.

Every generator draws from a `np.random.Generator` it is given, so a seed
fixes the data; none of them knows about models. Each returns `Sequences`:
one input per step, a target where the task gives one, and where the
task's success criterion judges the prediction.

Dimension letters:
  N  sequences      T  time steps (padded to a fixed length)
  D  input units    K  output units

Symbolic inputs and targets are int32 symbol ids (`x`: [N, T], `y`: [N, T];
the nets read and predict them one-hot, as the paper's local codes); real
inputs and targets are float32 (`x`: [N, T, D], `y`: [N, T, K]). Padding
steps after a sequence's end carry input 0 and no target.

Positions in the docstrings below are 1-based, as in the paper; arrays are
0-based (paper position t is array index t - 1).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from seqgen.command.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Sequences:
    x: np.ndarray  # int32 [N, T] symbol ids, or float32 [N, T, D]
    y: np.ndarray  # int32 [N, T] target ids, or float32 [N, T, K]
    mask_NxT: np.ndarray  # float32: 1 where a target enters the loss
    check_NxT: np.ndarray  # bool: where the success criterion judges the output
    length_N: np.ndarray  # int32: input steps before padding
    num_inputs: int  # D
    num_outputs: int  # K
    allowed_NxTxK: np.ndarray | None = None  # bool: every legal next symbol (Reber)

    def __len__(self) -> int:
        return len(self.length_N)

    def pad_to(self, T: int) -> Sequences:
        """The same sequences padded (no input, no target) to T steps."""
        extra = T - self.x.shape[1]
        if extra < 0:
            raise ValueError(f"sequences of {self.x.shape[1]} steps do not fit {T}")
        if extra == 0:
            return self
        pad = lambda a: None if a is None else np.pad(  # noqa: E731
            a, [(0, 0), (0, extra)] + [(0, 0)] * (a.ndim - 2))
        return dataclasses.replace(
            self, x=pad(self.x), y=pad(self.y), mask_NxT=pad(self.mask_NxT),
            check_NxT=pad(self.check_NxT), allowed_NxTxK=pad(self.allowed_NxTxK))

    def take(self, index: np.ndarray) -> Sequences:
        pick = lambda a: None if a is None else a[index]  # noqa: E731
        return dataclasses.replace(
            self, x=self.x[index], y=self.y[index], mask_NxT=self.mask_NxT[index],
            check_NxT=self.check_NxT[index], length_N=self.length_N[index],
            allowed_NxTxK=pick(self.allowed_NxTxK))


def _symbolic(x_NxT, y_NxT, mask_NxT, length_N, num_inputs, num_outputs,
              check_NxT=None, allowed=None) -> Sequences:
    mask_NxT = mask_NxT.astype(np.float32)
    return Sequences(
        x=x_NxT.astype(np.int32), y=y_NxT.astype(np.int32), mask_NxT=mask_NxT,
        check_NxT=(mask_NxT > 0) if check_NxT is None else check_NxT,
        length_N=np.asarray(length_N, np.int32), num_inputs=num_inputs,
        num_outputs=num_outputs, allowed_NxTxK=allowed)


# ---------------------------------------------------------------------------
# Experiment 1: the embedded Reber grammar (7 symbols, next-symbol prediction)
# ---------------------------------------------------------------------------

REBER_SYMBOLS = "BTSXPVE"
# Reber's finite-state grammar: state -> ((symbol, next state), ...); each
# edge is taken with probability 1/2. State 0 follows the leading B; state
# 5 emits the final E.
REBER_EDGES = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
}


def reber_string(rng: np.random.Generator) -> str:
    """B, a walk through the grammar, E."""
    out, state = ["B"], 0
    while state != 5:
        symbol, state = REBER_EDGES[state][rng.integers(2)]
        out.append(symbol)
    return "".join(out + ["E"])


def embedded_reber_string(rng: np.random.Generator) -> str:
    """B, T or P, a Reber string, the same T or P again, E."""
    branch = "TP"[rng.integers(2)]
    return "B" + branch + reber_string(rng) + branch + "E"


def embedded_reber_next(string: str) -> list[str]:
    """The legal next symbols after each symbol but the last of a valid
    embedded Reber string (the grammar is deterministic, so parsing the
    prefix gives them)."""
    def out(state):
        return "E" if state == 5 else "".join(s for s, _ in REBER_EDGES[state])

    legal = ["TP", "B", out(0)]  # after the outer B, the branch, the inner B
    state = 0
    for symbol in string[3:-3]:  # the walk between the inner B and inner E
        state = dict(REBER_EDGES[state])[symbol]
        legal.append(out(state))
    # After the inner E only the remembered branch symbol, then the final E.
    return legal + [string[1], "E"]


def reber_sequences(strings: list[str], max_len: int | None = None,
                    targets: str = "next") -> Sequences:
    """Read each symbol, predict the next: len(s) - 1 steps per string.
    targets='next': the actual next symbol (one id per step); 'legal': a
    1 on every legal next symbol (float [N, T, K]). `allowed` marks every
    legal one either way, which the paper's criterion needs (the legal
    symbols must be the most active outputs)."""
    if targets not in ("next", "legal"):
        raise ConfigError(f"config.task.targets={targets!r}; use 'next' or 'legal'")
    steps = [len(s) - 1 for s in strings]
    T = max(steps) if max_len is None else max_len
    if max(steps) > T:
        raise ConfigError(f"a Reber string needs {max(steps)} steps > max_len={T}")
    index = {c: i for i, c in enumerate(REBER_SYMBOLS)}
    N, K = len(strings), len(REBER_SYMBOLS)
    x, y = np.zeros((N, T), np.int32), np.zeros((N, T), np.int32)
    mask = np.zeros((N, T), np.float32)
    allowed = np.zeros((N, T, K), bool)
    for n, s in enumerate(strings):
        ids = [index[c] for c in s]
        L = len(s) - 1
        x[n, :L], y[n, :L], mask[n, :L] = ids[:-1], ids[1:], 1.0
        for t, legal in enumerate(embedded_reber_next(s)):
            allowed[n, t, [index[c] for c in legal]] = True
    out = _symbolic(x, y, mask, steps, K, K, allowed=allowed)
    if targets == "legal":
        out = dataclasses.replace(out, y=allowed.astype(np.float32))
    return out


def embedded_reber_sets(rng: np.random.Generator, num_train: int = 256,
                        num_test: int = 256) -> tuple[list[str], list[str]]:
    """The paper's fixed training and test sets of randomly drawn strings
    (256 + 256), training strings drawn first."""
    train = [embedded_reber_string(rng) for _ in range(num_train)]
    test = [embedded_reber_string(rng) for _ in range(num_test)]
    return train, test


# ---------------------------------------------------------------------------
# Experiment 2a: noise-free sequences with long time lags
# ---------------------------------------------------------------------------

def long_lag(p: int, final_only: bool = False) -> Sequences:
    """The two sequences (x, a_1, ..., a_{p-1}, x) and (y, a_1, ..., a_{p-1}, y).

    p + 1 symbols: a_i is id i - 1, x is id p - 1, y is id p. The net reads
    p elements and predicts each next one; only the last prediction needs
    the first element, p steps back. final_only: the last is the only target.
    """
    if p < 2:
        raise ConfigError(f"task.p={p}: the long-lag task needs p >= 2")
    a = np.arange(p - 1)
    seqs = np.stack([np.concatenate([[s], a, [s]]) for s in (p - 1, p)])
    mask = np.ones((2, p))
    if final_only:
        mask[:, :-1] = 0.0
    return _symbolic(seqs[:, :-1], seqs[:, 1:], mask, [p, p], p + 1, p + 1)


def long_lag_batch(rng: np.random.Generator, n: int, p: int,
                   final_only: bool = False) -> Sequences:
    """n sequences of task 2a, each of the two with probability 1/2."""
    return long_lag(p, final_only).take(rng.integers(2, size=n))


# ---------------------------------------------------------------------------
# Experiment 2c: very long time lags, no local regularities
# ---------------------------------------------------------------------------

def long_lag_noise(rng: np.random.Generator, n: int, q: int, p: int,
                   max_extra: int = 100) -> Sequences:
    """Task 2c: (b, x, a.., e, x) and (b, y, a.., e, y).

    p + 4 input symbols: distractors a_1..a_p (ids 0..p-1), b (p), e (p+1),
    x (p+2), y (p+3). A sequence is b, then x or y, then q distractors, then
    further distractors each with probability 9/10 until an e (probability
    1/10); the target, after reading e, is the second element: 2 output
    units (x, y). The minimal lag between x/y and e is q + 1 steps.
    Deviation: suffixes longer than max_extra distractors (probability
    0.9^(max_extra+1), 2.4e-5 for 100) are redrawn so sequences fit a fixed
    padded length.
    """
    if q < 0 or p < 1:
        raise ConfigError(f"task.q={q}, task.p={p}: need q >= 0 and p >= 1")
    extra_N = rng.geometric(0.1, size=n) - 1  # distractors after the first q
    while (bad := extra_N > max_extra).any():
        extra_N[bad] = rng.geometric(0.1, size=bad.sum()) - 1
    T = q + 3 + max_extra  # b, x|y, q + extra distractors, e
    length_N = q + 3 + extra_N
    cls_N = rng.integers(2, size=n)
    x = rng.integers(p, size=(n, T)).astype(np.int32)
    x[:, 0] = p
    x[:, 1] = p + 2 + cls_N
    rows = np.arange(n)
    x[rows, length_N - 1] = p + 1
    x[np.arange(T)[None, :] >= length_N[:, None]] = 0
    y = np.zeros((n, T), np.int32)
    y[rows, length_N - 1] = cls_N
    mask = np.zeros((n, T), np.float32)
    mask[rows, length_N - 1] = 1.0
    return _symbolic(x, y, mask, length_N, p + 4, 2)


# ---------------------------------------------------------------------------
# Experiments 4 and 5: the adding and the multiplication problems
# ---------------------------------------------------------------------------

def _marked_pairs(rng, n, T, low, high, first_is_marked_value):
    """Pairs (value, marker): two marked 1.0, the first among the first ten
    pairs, the second among the first T/2 - 1 still unmarked ones; the first
    and the last pair get marker -1 unless marked. Length uniform in
    [T, T + T/10]. Returns x [N, T+T/10, 2], X1, X2, lengths."""
    if T < 20:
        raise ConfigError(f"task.T={T}: the marked-pairs tasks need T >= 20")
    Tmax = T + T // 10
    length_N = rng.integers(T, Tmax + 1, size=n)
    value_NxT = rng.uniform(low, high, size=(n, Tmax))
    marker_NxT = np.zeros((n, Tmax))
    rows = np.arange(n)
    first_N = rng.integers(10, size=n)
    # Uniform over the first T/2 - 1 positions other than first_N.
    second_N = rng.integers(T // 2 - 2, size=n)
    second_N = second_N + (second_N >= first_N)
    marker_NxT[:, 0] = -1.0
    marker_NxT[rows, length_N - 1] = -1.0
    marker_NxT[rows, first_N] = 1.0
    marker_NxT[rows, second_N] = 1.0
    # "In the rare case where the first pair is marked, X1 is set to" a
    # neutral value (0 for adding, 1 for multiplication); we do the same when
    # the second draw marks the first pair.
    value_NxT[(first_N == 0) | (second_N == 0), 0] = first_is_marked_value
    pad = np.arange(Tmax)[None, :] >= length_N[:, None]
    value_NxT[pad] = 0.0
    marker_NxT[pad] = 0.0
    x = np.stack([value_NxT, marker_NxT], -1).astype(np.float32)
    return x, value_NxT[rows, first_N], value_NxT[rows, second_N], length_N


def _end_target(x, target_N, length_N) -> Sequences:
    n, T = x.shape[:2]
    rows = np.arange(n)
    y = np.zeros((n, T, 1), np.float32)
    y[rows, length_N - 1, 0] = target_N
    mask = np.zeros((n, T), np.float32)
    mask[rows, length_N - 1] = 1.0
    return Sequences(x=x, y=y, mask_NxT=mask, check_NxT=mask > 0,
                     length_N=length_N.astype(np.int32), num_inputs=2, num_outputs=1)


def adding(rng: np.random.Generator, n: int, T: int = 100) -> Sequences:
    """Experiment 4: values in [-1, 1]; target 0.5 + (X1 + X2) / 4 at the end."""
    x, x1, x2, length_N = _marked_pairs(rng, n, T, -1.0, 1.0, 0.0)
    return _end_target(x, 0.5 + (x1 + x2) / 4.0, length_N)


def multiplication(rng: np.random.Generator, n: int, T: int = 100) -> Sequences:
    """Experiment 5: values in [0, 1]; target X1 * X2 at the end."""
    x, x1, x2, length_N = _marked_pairs(rng, n, T, 0.0, 1.0, 1.0)
    return _end_target(x, x1 * x2, length_N)


# ---------------------------------------------------------------------------
# Experiment 6: temporal order
# ---------------------------------------------------------------------------

ORDER_SYMBOLS = "EBabcdXY"  # ids 0..7; E starts, B ends, a-d distract
# Windows (1-based, inclusive) of the relevant X/Y positions.
ORDER_WINDOWS = {
    "6a": ((10, 20), (50, 60)),
    "6b": ((10, 20), (33, 43), (66, 76)),
}


def temporal_order(rng: np.random.Generator, n: int, variant: str = "6a") -> Sequences:
    """Length 100-110; E first, B last, X or Y at one position in each
    window, a-d elsewhere. The class is the X/Y order read as a binary
    number (X = 0, Y = 1, earliest most significant): 6a has 4 classes
    (XX, XY, YX, YY = Q, R, S, U), 6b has 8. Target after reading B: the
    class, one output unit per class."""
    if variant not in ORDER_WINDOWS:
        raise ConfigError(f"task.variant={variant!r}: use one of {tuple(ORDER_WINDOWS)}")
    windows = ORDER_WINDOWS[variant]
    T = 110
    length_N = rng.integers(100, T + 1, size=n)
    x = rng.integers(2, 6, size=(n, T))  # a, b, c, d
    rows = np.arange(n)
    x[:, 0] = 0
    x[rows, length_N - 1] = 1
    cls_N = np.zeros(n, np.int64)
    for lo, hi in windows:
        pos_N = rng.integers(lo, hi + 1, size=n) - 1
        bit_N = rng.integers(2, size=n)
        x[rows, pos_N] = 6 + bit_N
        cls_N = 2 * cls_N + bit_N
    x[np.arange(T)[None, :] >= length_N[:, None]] = 0
    y = np.zeros((n, T), np.int32)
    y[rows, length_N - 1] = cls_N
    mask = np.zeros((n, T), np.float32)
    mask[rows, length_N - 1] = 1.0
    return _symbolic(x, y, mask, length_N, len(ORDER_SYMBOLS), 2 ** len(windows))


# ---------------------------------------------------------------------------
# Periodic strings (char-level tutorials): 0101..., 0001..., 000001..., 0000011111...
# ---------------------------------------------------------------------------

PERIODIC_PATTERNS = ("01", "0001", "000001", "0000011111")


def periodic(pattern: str, phase_N: np.ndarray, T: int) -> Sequences:
    """The pattern repeated, started at the given phases: read T symbols,
    predict each next one. The first period is warm-up (the phase is not
    known yet), so the criterion judges steps T >= len(pattern) only."""
    if not pattern or set(pattern) - {"0", "1"}:
        raise ConfigError(f"task.pattern={pattern!r}: use a string of 0s and 1s")
    P = len(pattern)
    if T <= P:
        raise ConfigError(f"task.T={T} must exceed the period {P}")
    bits = np.array([int(c) for c in pattern])
    s_NxT1 = bits[(phase_N[:, None] + np.arange(T + 1)[None, :]) % P]
    n = len(phase_N)
    check = np.zeros((n, T), bool)
    check[:, P:] = True
    return _symbolic(s_NxT1[:, :-1], s_NxT1[:, 1:], np.ones((n, T)), np.full(n, T), 2, 2,
                     check_NxT=check)


def periodic_batch(rng: np.random.Generator, n: int, pattern: str, T: int) -> Sequences:
    return periodic(pattern, rng.integers(len(pattern), size=n), T)


def periodic_all_phases(pattern: str, T: int) -> Sequences:
    """One sequence per phase: the complete test of a periodic pattern."""
    return periodic(pattern, np.arange(len(pattern)), T)
