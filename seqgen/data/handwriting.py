"""Handwriting lines as batches: the one call from a data config to lines,
and the batchers that feed whole lines to the network.

Graves (2013 §4) trains on whole lines: every batch holds fresh lines, the
state starts at zero for each (reset = True on every row), the input at
step t is the normalised offset t and the target is offset t+1. Lines of a
batch differ in length; they are padded to a common length, rounded up to a
bucket so that only a few shapes get compiled, and masked (mask 0 on
padding). Lines longer than `max_points` are dropped and counted when the
batcher is built (logged and kept in the run's meta), never truncated.

data_config fields used here (see seqgen/handwriting_config.py):
  dataset     'drawn' | 'iam_ondb'
  max_points  longest line kept, in points (e.g. 1000; IAM lines reach ~1900)
  bucket      padded lengths are multiples of this (e.g. 100)
  augment     random slant/scale/rotation of training lines (bool)

Dimension letters: B lines in a batch, L padded length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import ml_collections
import numpy as np

from seqgen.data import strokes
from seqgen.errors import ConfigError

POOL = 16  # batches whose lines are sorted by length together


def load_handwriting(data_config: ml_collections.ConfigDict) -> strokes.HandwritingSplits:
    if data_config.dataset == "drawn":
        from seqgen.data import drawn
        return drawn.load_drawn(data_config)
    if data_config.dataset == "iam_ondb":
        from seqgen.data import iam_ondb
        return iam_ondb.load_iam_ondb(data_config)
    raise ConfigError(f"config.data.dataset={data_config.dataset!r} is not a handwriting "
                      "dataset; use 'drawn' or 'iam_ondb'")


def keep_short(lines: Sequence[np.ndarray], max_points: int) -> list[int]:
    """Indices of the lines of at most max_points points (and at least 2)."""
    return [i for i, line in enumerate(lines) if 2 <= len(line) <= max_points]


def _pad_length(longest: int, bucket: int) -> int:
    return max(bucket, int(math.ceil(longest / bucket)) * bucket)


def make_batch(lines: Sequence[np.ndarray], stats: strokes.OffsetStats, pad_to: int
               ) -> dict[str, np.ndarray]:
    """Inputs are rows 0..T-2 of each normalised line, targets rows 1..T-1."""
    normed = [strokes.normalise(line, stats) for line in lines]
    x_BxLx3, mask_BxL = strokes.pad_batch([n[:-1] for n in normed], pad_to)
    y_BxLx3, _ = strokes.pad_batch([n[1:] for n in normed], pad_to)
    return {"inputs": x_BxLx3, "targets": y_BxLx3, "mask": mask_BxL,
            "reset": np.ones(len(lines), bool)}


class LineBatcher:
    """Random whole lines per step, a pure function of (seed, step).

    Each epoch visits every kept training line once (but the remainder of
    len // batch_size), in an order drawn from (seed, epoch), with lines of
    similar length batched together; a resumed run sees exactly the batches
    it would have seen.
    The padded length is decided on the whole global batch, so all processes
    build arrays of the same shape.
    """

    def __init__(self, lines: Sequence[np.ndarray], stats: strokes.OffsetStats,
                 batch_size: int, *, max_points: int, bucket: int, seed: int,
                 augment: bool = False, process_index: int = 0, process_count: int = 1):
        if batch_size % process_count:
            raise ConfigError(f"config.batch_size={batch_size} must be divisible by the "
                              f"{process_count} processes")
        self.keep = keep_short(lines, max_points)
        self.dropped = len(lines) - len(self.keep)
        if len(self.keep) < batch_size:
            raise ConfigError(
                f"only {len(self.keep)} training lines have 2..{max_points} points, fewer "
                f"than config.batch_size={batch_size}; lower the batch size or raise "
                "config.data.max_points")
        self.lines, self.stats, self.batch_size = lines, stats, batch_size
        self.bucket, self.seed, self.augment = bucket, seed, augment
        self.rows = slice(process_index * batch_size // process_count,
                          (process_index + 1) * batch_size // process_count)
        self.windows_per_epoch = len(self.keep) // batch_size
        self._order_epoch, self._order = -1, None

    def _epoch_order(self, epoch: int) -> np.ndarray:
        """A shuffled order in which each run of batch_size lines has similar
        lengths: shuffle, sort within pools of POOL batches, shuffle the
        batches. Padding then costs a few percent instead of a third."""
        if epoch != self._order_epoch:
            rng = np.random.default_rng([self.seed, epoch])
            order = rng.permutation(self.keep)
            B, pool = self.batch_size, self.batch_size * POOL
            n = self.windows_per_epoch * B
            lengths = np.array([len(self.lines[i]) for i in order[:n]])
            for start in range(0, n, pool):
                chunk = slice(start, min(start + pool, n))
                order[chunk] = order[chunk][np.argsort(lengths[chunk], kind="stable")]
            batches = order[:n].reshape(-1, B)[rng.permutation(n // B)]
            self._order, self._order_epoch = batches.reshape(-1), epoch
        return self._order

    def batch(self, step: int) -> dict[str, np.ndarray]:
        epoch, k = divmod(step, self.windows_per_epoch)
        picked = self._epoch_order(epoch)[k * self.batch_size:(k + 1) * self.batch_size]
        longest = max(len(self.lines[i]) for i in picked) - 1
        mine = [self.lines[i] for i in picked[self.rows]]
        if self.augment:
            rng = np.random.default_rng([self.seed, step, 1])
            mine = [strokes.random_augment(line, rng) for line in mine]
        return make_batch(mine, self.stats, _pad_length(longest, self.bucket))


def eval_batches(lines: Sequence[np.ndarray], stats: strokes.OffsetStats, batch_size: int,
                 *, max_points: int, bucket: int, process_index: int = 0,
                 process_count: int = 1) -> Iterator[dict[str, np.ndarray]]:
    """Every line of a split once, sorted by length so padding stays small;
    the last batch is filled up with empty rows (mask 0)."""
    keep = sorted(keep_short(lines, max_points), key=lambda i: len(lines[i]))
    rows = slice(process_index * batch_size // process_count,
                 (process_index + 1) * batch_size // process_count)
    for start in range(0, len(keep), batch_size):
        picked = [lines[i] for i in keep[start:start + batch_size]]
        longest = max(len(line) for line in picked) - 1
        real_B = np.arange(batch_size) < len(picked)
        picked += [np.zeros((2, 3), np.float32)] * (batch_size - len(picked))
        batch = make_batch(picked[rows], stats, _pad_length(longest, bucket))
        batch["mask"] *= real_B[rows, None]  # filler lines do not count
        yield batch
