"""Handwriting lines as batches: the one call from a data config to lines,
and the batchers that feed whole lines to the network.

Graves (2013 §4) trains on whole lines: every batch holds fresh lines, the
state starts at zero for each (reset = True on every row), the input at
step t is the normalised offset t and the target is offset t+1. Lines of a
batch differ in length; they are padded to a common length, rounded up to a
bucket so that only a few shapes get compiled, and masked (mask 0 on
padding). Lines longer than `max_points` are dropped and counted when the
batcher is built (logged and kept in the run's meta), never truncated.

data_config fields used here (see seqgen/config/handwriting.py):
  dataset     a name in DATASETS: 'drawn' (drawn.py: Shakespeare lines written
              with single-line fonts, generated) | 'iam_ondb' (iam_ondb.py)
              | any loader registered with @DATASETS.register(name)
  max_points  longest line kept, in points (e.g. 1000; IAM lines reach ~1900)
  bucket      padded lengths are multiples of this (e.g. 100)
  augment     random slant/scale/rotation of training lines (bool)
  held_out_writers  writers whose lines stay out of training (hold_out_writers)
  redraw_every_epoch  draw the training lines anew each epoch (bool, default
              False; drawn only: a dataset whose splits have no redraw_train,
              such as IAM-OnDB's recorded lines, refuses it). Validation and
              test lines and the offset statistics stay epoch 0's.

Synthesis (Graves §5) adds the text of each line: given `texts` (aligned
with the lines) and an `Alphabet` (seqgen/data/transcripts.py), a batch also
holds chars_BxU (int32 ids, 0 = padding) and char_mask_BxU (float32, 1 on
real characters). U is the longest text of the global batch rounded up to a
multiple of `char_bucket`, like L, so all processes build the same shapes.
Lines whose text is empty, or holds characters the alphabet cannot write,
are dropped and counted like over-long lines (`dropped_text`); unseen
characters that have a fallback are written as it, with one warning per
batcher. Without texts, batches are exactly the prediction batches.

data_config fields used for synthesis:
  char_bucket  padded text lengths are multiples of this (e.g. 16)

Dimension letters: B lines in a batch, L padded length, U padded text length.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from seqgen.command.errors import ConfigError
from seqgen.data import strokes
from seqgen.data.prepare import config_get
from seqgen.data.registry import Registry
from seqgen.data.transcripts import Alphabet, TranscriptError, warn_fallbacks

POOL = 16  # batches whose lines are sorted by length together
log = logging.getLogger(__name__)


# Name -> loader (data_config -> HandwritingSplits); plugins add entries with
# @DATASETS.register (seqgen/data/registry.py).
DATASETS = Registry("handwriting", {
    "drawn": "seqgen.data.drawn:load_drawn",
    "iam_ondb": "seqgen.data.iam_ondb:load_iam_ondb",
})


def load_handwriting(data_config: Any) -> strokes.HandwritingSplits:
    """The splits of the dataset that data_config.dataset names (default 'drawn');
    data_config is a ConfigDict, a dict or any object with the fields."""
    return DATASETS.get(config_get(data_config, "dataset", "drawn"))(data_config)


def hold_out_writers(splits: strokes.HandwritingSplits, writers: Sequence[str]
                     ) -> strokes.HandwritingSplits:
    """The splits without the training lines of `writers` (validation and test
    keep theirs, so their scores show a hand never trained on); the offset
    statistics are recomputed on what training keeps."""
    known = {w for part in (splits.train, splits.valid, splits.test) for w in part.writers}
    unknown = [w for w in writers if w not in known]
    if unknown:
        raise ConfigError(f"config.data.held_out_writers names {unknown}, not writers of "
                          f"{splits.name}; use some of {sorted(known)[:12]}")
    keep = [i for i, w in enumerate(splits.train.writers) if w not in set(writers)]

    def kept(t: strokes.StrokeSet) -> strokes.StrokeSet:
        return strokes.StrokeSet(tuple(t.lines[i] for i in keep),
                                 tuple(t.texts[i] for i in keep),
                                 tuple(t.ids[i] for i in keep), tuple(t.writers[i] for i in keep))

    train = kept(splits.train)
    redraw = splits.redraw_train
    # A redraw has the same writers per line, so the same lines are left out.
    return dataclasses.replace(splits, train=train,
                               stats=strokes.compute_stats(train.lines),
                               info={**splits.info, "held_out_writers": list(writers)},
                               redraw_train=redraw and (lambda epoch: kept(redraw(epoch))))


def keep_short(lines: Sequence[np.ndarray], max_points: int) -> list[int]:
    """Indices of the lines of at most max_points points (and at least 2)."""
    return [i for i, line in enumerate(lines) if 2 <= len(line) <= max_points]


def encode_texts(texts: Sequence[str], alphabet: Alphabet, where: str = "texts"
                 ) -> list[np.ndarray | None]:
    """Each text's ids, or None when it is empty or cannot be written; one
    warning for all the fallbacks used."""
    encoded: list[np.ndarray | None] = []
    subs: dict[str, str] = {}
    for text in texts:
        try:
            ids, used = alphabet.encode_with_fallbacks(text)
        except TranscriptError:
            ids, used = None, {}
        encoded.append(ids)
        subs.update(used)
    if subs:
        warn_fallbacks(subs, where)
    return encoded


def _check_texts(lines: Sequence[np.ndarray], texts: Sequence[str] | None) -> None:
    if texts is not None and len(texts) != len(lines):
        raise ConfigError(f"{len(texts)} texts for {len(lines)} lines: the transcriptions "
                          "must be aligned with the lines (one per line).")


def _pad_length(longest: int, bucket: int) -> int:
    return max(bucket, int(math.ceil(longest / bucket)) * bucket)


def pad_chars(encoded: Sequence[np.ndarray], pad_to: int) -> tuple[np.ndarray, np.ndarray]:
    """Id arrays -> (chars_BxU int32 zero-padded, char_mask_BxU float32)."""
    chars_BxU = np.zeros((len(encoded), pad_to), np.int32)
    for b, ids in enumerate(encoded):
        if len(ids) > pad_to:
            raise ConfigError(f"text {b} has {len(ids)} characters, more than pad_to="
                              f"{pad_to}; pad to the longest text of the batch.")
        chars_BxU[b, :len(ids)] = ids
    return chars_BxU, (chars_BxU > 0).astype(np.float32)


def text_batch(texts: Sequence[str], alphabet: Alphabet, pad_to: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Texts to write -> (chars_BxU, char_mask_BxU); U = pad_to, or the longest
    text. Unseen characters fall back with one warning; an empty text or one
    with characters that cannot be written is a one-line TranscriptError."""
    encoded, subs = [], {}
    for text in texts:
        ids, used = alphabet.encode_with_fallbacks(text)
        encoded.append(ids)
        subs.update(used)
    if subs:
        warn_fallbacks(subs)
    longest = max((len(ids) for ids in encoded), default=1)
    return pad_chars(encoded, longest if pad_to is None else pad_to)


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
    With `epoch_lines` (epoch -> lines aligned with `lines`, e.g.
    epochs.EpochLines over HandwritingSplits.redraw_train), epoch e trains on
    epoch_lines(e), a pure function of e, so batches stay a pure function of
    the step. Which lines are kept (and so windows_per_epoch) is decided on
    `lines`; a kept line whose redrawn ink falls outside 2..max_points is
    trained as in `lines` that epoch (counted in `kept_first` and logged), so
    every epoch has the same texts and the same number of steps. Measured
    with 300 writers: ~4% of the kept lines an epoch at 25 points a
    character and max_points 1000 (lines near the limit), ~0.1% at 12 and 700.
    The padded lengths (L, and U with texts) are decided on the whole global
    batch, so all processes build arrays of the same shape.
    With `texts` and `alphabet`, batches also hold chars and char_mask (see
    the module docstring); `dropped` counts all lines left out,
    `dropped_long` those of the wrong length, `dropped_text` those whose text
    is empty or cannot be written.
    """

    def __init__(self, lines: Sequence[np.ndarray], stats: strokes.OffsetStats,
                 batch_size: int, *, max_points: int, bucket: int, seed: int,
                 augment: bool = False, process_index: int = 0, process_count: int = 1,
                 texts: Sequence[str] | None = None, alphabet: Alphabet | None = None,
                 char_bucket: int = 16,
                 epoch_lines: Callable[[int], Sequence[np.ndarray]] | None = None):
        if batch_size % process_count:
            raise ConfigError(f"config.batch_size={batch_size} must be divisible by the "
                              f"{process_count} processes")
        short = keep_short(lines, max_points)
        self.encoded = _encode_kept(lines, short, texts, alphabet, char_bucket,
                                    "training texts")
        self.keep = short if self.encoded is None else [i for i in short if i in self.encoded]
        self.dropped = len(lines) - len(self.keep)
        self.dropped_long = len(lines) - len(short)
        self.dropped_text = len(short) - len(self.keep)
        if len(self.keep) < batch_size:
            text = "" if texts is None else " and a writable text"
            raise ConfigError(
                f"only {len(self.keep)} training lines have 2..{max_points} points{text}, "
                f"fewer than config.batch_size={batch_size}; lower the batch size or raise "
                "config.data.max_points")
        self.char_bucket = char_bucket
        self.lines, self.stats, self.batch_size = lines, stats, batch_size
        self.bucket, self.seed, self.augment = bucket, seed, augment
        self.rows = slice(process_index * batch_size // process_count,
                          (process_index + 1) * batch_size // process_count)
        self.windows_per_epoch = len(self.keep) // batch_size
        self.max_points, self.epoch_lines = max_points, epoch_lines
        self.kept_first: dict[int, int] = {}  # epoch -> kept lines trained as in `lines`
        self._order_epoch, self._order, self._lines = -1, None, lines

    def _lines_of(self, epoch: int) -> Sequence[np.ndarray]:
        """The training lines of `epoch` (class docstring)."""
        if self.epoch_lines is None:
            return self.lines
        # Asked at epoch 0 too, though `lines` are trained: EpochLines then
        # starts drawing epoch 1, so the first epoch boundary does not stall.
        redrawn = self.epoch_lines(epoch)
        if epoch == 0:
            return self.lines
        redrawn = list(redrawn)  # a copy: too-long lines are replaced below
        if len(redrawn) != len(self.lines):
            raise ConfigError(f"epoch {epoch} has {len(redrawn)} training lines, not "
                              f"{len(self.lines)}: a redraw must keep every line")
        too_long = [i for i in self.keep if not 2 <= len(redrawn[i]) <= self.max_points]
        for i in too_long:  # dropping them would shorten the epoch and change its texts
            redrawn[i] = self.lines[i]
        self.kept_first[epoch] = len(too_long)
        log.info("epoch %d: training lines drawn anew; %d of %d kept as first drawn "
                 "(too long redrawn)", epoch, len(too_long), len(self.keep))
        return redrawn

    def _epoch_order(self, epoch: int) -> np.ndarray:
        """A shuffled order in which each run of batch_size lines has similar
        lengths: shuffle, sort within pools of POOL batches, shuffle the
        batches. Padding then costs a few percent instead of a third."""
        if epoch != self._order_epoch:
            self._lines = self._lines_of(epoch)
            rng = np.random.default_rng([self.seed, epoch])
            order = rng.permutation(self.keep)
            B, pool = self.batch_size, self.batch_size * POOL
            n = self.windows_per_epoch * B
            lengths = np.array([len(self._lines[i]) for i in order[:n]])
            for start in range(0, n, pool):
                chunk = slice(start, min(start + pool, n))
                order[chunk] = order[chunk][np.argsort(lengths[chunk], kind="stable")]
            batches = order[:n].reshape(-1, B)[rng.permutation(n // B)]
            self._order, self._order_epoch = batches.reshape(-1), epoch
        return self._order

    def batch(self, step: int) -> dict[str, np.ndarray]:
        epoch, k = divmod(step, self.windows_per_epoch)
        picked = self._epoch_order(epoch)[k * self.batch_size:(k + 1) * self.batch_size]
        lines = self._lines  # the epoch's, set by _epoch_order
        longest = max(len(lines[i]) for i in picked) - 1
        mine = [lines[i] for i in picked[self.rows]]
        if self.augment:
            rng = np.random.default_rng([self.seed, step, 1])
            mine = [strokes.random_augment(line, rng) for line in mine]
        batch = make_batch(mine, self.stats, _pad_length(longest, self.bucket))
        if self.encoded is not None:
            encoded = [self.encoded[i] for i in picked]
            batch["chars"], batch["char_mask"] = pad_chars(
                encoded[self.rows],
                _pad_length(max(len(ids) for ids in encoded), self.char_bucket))
        return batch


def _encode_kept(lines: Sequence[np.ndarray], kept: Sequence[int], texts: Sequence[str] | None,
                 alphabet: Alphabet | None, char_bucket: int, where: str
                 ) -> dict[int, np.ndarray] | None:
    """{line index: its text's ids} for the kept lines whose text can be
    written; None without texts (prediction)."""
    if texts is None and alphabet is None:
        return None
    if texts is None or alphabet is None:
        raise ConfigError("synthesis batches need both texts and an alphabet; pass both, or "
                          "neither for prediction batches")
    _check_texts(lines, texts)
    if char_bucket < 1:
        raise ConfigError(f"config.data.char_bucket={char_bucket} must be >= 1 (e.g. 16)")
    encoded = encode_texts([texts[i] for i in kept], alphabet, where)
    return {i: ids for i, ids in zip(kept, encoded, strict=True) if ids is not None}


def eval_batches(lines: Sequence[np.ndarray], stats: strokes.OffsetStats, batch_size: int,
                 *, max_points: int, bucket: int, process_index: int = 0,
                 process_count: int = 1, texts: Sequence[str] | None = None,
                 alphabet: Alphabet | None = None, char_bucket: int = 16
                 ) -> Iterator[dict[str, np.ndarray]]:
    """Every kept line of a split once, sorted by length so padding stays
    small; the last batch is filled up with empty rows (mask 0, and with
    texts no characters: char_mask 0)."""
    short = keep_short(lines, max_points)
    encoded = _encode_kept(lines, short, texts, alphabet, char_bucket, "evaluation texts")
    keep = short if encoded is None else [i for i in short if i in encoded]
    keep = sorted(keep, key=lambda i: len(lines[i]))
    rows = slice(process_index * batch_size // process_count,
                 (process_index + 1) * batch_size // process_count)
    for start in range(0, len(keep), batch_size):
        chosen = keep[start:start + batch_size]
        picked = [lines[i] for i in chosen]
        longest = max(len(line) for line in picked) - 1
        real_B = np.arange(batch_size) < len(picked)
        picked += [np.zeros((2, 3), np.float32)] * (batch_size - len(picked))
        batch = make_batch(picked[rows], stats, _pad_length(longest, bucket))
        batch["mask"] *= real_B[rows, None]  # filler lines do not count
        if encoded is not None:
            ids = [encoded[i] for i in chosen]
            ids += [np.zeros(0, np.int32)] * (batch_size - len(ids))
            batch["chars"], batch["char_mask"] = pad_chars(
                ids[rows], _pad_length(max(len(i) for i in ids), char_bucket))
        yield batch
