"""A config's task: where its training sequences come from, which fixed
sets decide success (Reber, 2a, periodic), and how test sequences are drawn.

Each trial draws from its own numpy generator, so a trial's data depend
only on (config.seed, trial), whether it runs alone or beside others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import ml_collections
import numpy as np

from seqgen.command.errors import ConfigError
from seqgen.tasks import generators as data

Stream = Callable[[int], data.Sequences]  # n -> the next n training sequences

TASKS = ("reber", "long_lag", "long_lag_noise", "adding", "multiplication",
         "temporal_order", "periodic")


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    num_inputs: int  # D
    num_outputs: int  # K
    symbolic: bool  # inputs are symbol ids (one-hot), not real values
    stream: Callable[[np.random.Generator], Stream]  # a trial's training stream
    fixed: Callable[[np.random.Generator], data.Sequences] | None  # criterion sets
    test: Callable[[np.random.Generator, int], data.Sequences] | None  # fresh draws

    def trial_rng(self, seed: int, trial: int, purpose: int) -> np.random.Generator:
        """purpose 0: training stream, 1: fixed sets, 2: test draws."""
        return np.random.default_rng([seed, trial, purpose])


def _draws(gen: Callable[[np.random.Generator, int], data.Sequences]):
    return lambda rng: (lambda n: gen(rng, n))


def _reber(t: ml_collections.ConfigDict) -> Problem:
    # Each trial draws its own fixed sets (the paper: 256 + 256 random strings).
    def sets(rng):
        return data.embedded_reber_sets(rng, t.num_train, t.num_test)

    def stream(rng):
        train = data.reber_sequences(sets(rng)[0], targets=t.targets)
        order: list[int] = []

        def next_n(n):  # online, through the training set in shuffled epochs
            while len(order) < n:
                order.extend(rng.permutation(len(train)).tolist())
            index = np.array(order[:n])
            del order[:n]
            return train.take(index)
        return next_n

    def fixed(rng):
        train, test = sets(rng)
        return data.reber_sequences(train + test, targets=t.targets)

    K = len(data.REBER_SYMBOLS)
    return Problem("reber", K, K, True, stream, fixed, None)


def build(config: ml_collections.ConfigDict) -> Problem:
    t = config.task
    name = t.name
    if name == "reber":
        return _reber(t)
    if name == "long_lag":
        final = t.targets == "final"
        if t.targets not in ("final", "every"):
            raise ConfigError(f"config.task.targets={t.targets!r}; use 'every' or 'final'")
        both = data.long_lag(t.p, final)
        return Problem(name, t.p + 1, t.p + 1, True,
                       _draws(lambda rng, n: data.long_lag_batch(rng, n, t.p, final)),
                       lambda rng: both, None)
    if name == "long_lag_noise":
        gen = lambda rng, n: data.long_lag_noise(rng, n, t.q, t.p, t.max_extra)  # noqa: E731
        return Problem(name, t.p + 4, 2, True, _draws(gen), None, gen)
    if name in ("adding", "multiplication"):
        fn = data.adding if name == "adding" else data.multiplication
        gen = lambda rng, n: fn(rng, n, t.T)  # noqa: E731
        return Problem(name, 2, 1, False, _draws(gen), None, gen)
    if name == "temporal_order":
        gen = lambda rng, n: data.temporal_order(rng, n, t.variant)  # noqa: E731
        K = 2 ** len(data.ORDER_WINDOWS[t.variant]) if t.variant in data.ORDER_WINDOWS else 0
        return Problem(name, len(data.ORDER_SYMBOLS), K, True, _draws(gen), None, gen)
    if name == "periodic":
        every = data.periodic_all_phases(t.pattern, t.T)
        gen = lambda rng, n: data.periodic_batch(rng, n, t.pattern, t.T)  # noqa: E731
        return Problem(name, 2, 2, True, _draws(gen), lambda rng: every, None)
    raise ConfigError(f"config.task.name={name!r} is unknown; use one of {TASKS}")
