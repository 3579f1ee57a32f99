"""Verified writing: every written line read back, the failures written again.

A writer sometimes drops a word (its window jumps over it), stops early or
scrawls; sampling again usually fixes it. `verified_write` writes a page,
reads every line back with the product reader, and checks each line
(`check`): a word of the text missing from the read-back (a deletion in the
word alignment), a character error rate above MAX_CER, or a window that did
not reach the text's end (the writer's `aligned`: the stop rule fired, the
window moved monotonically and reached the last characters) fails it. Each
failing line is written CANDIDATES more times in one batch (all failing
lines together; fewer each when that would pass max_rows rows, at least
one: seqgen.write and the web page pass the page's own row bucket, so the
retries reuse the page's compiled sampler) and the best read-back kept
(`_rank`: passing first, then fewer dropped words, then lower CER); after
TRIES rounds in all, the lines
still failing are *doubtful*, and the CLI, the API and the page say so.

The reader that verifies never grades: legibility is measured by the judge
(seqgen.legibility), which never saw the writer's hands or checked its lines.

Dimension letters: none (lists of lines).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import numpy as np
from rapidfuzz.distance import Levenshtein

from seqgen.handwriting import error_rates

MAX_CER = 0.25  # a read-back worse than this is written again (the reader's own error ~4%)
TRIES = 3  # rounds of writing in all: the page, then up to 2 rounds of candidates
CANDIDATES = 4  # new versions of each failing line per round, in one batch ...
MAX_ROWS = 16  # ... of at most this many rows (page_sizes.LINE_BUCKETS' largest)


@dataclasses.dataclass(frozen=True)
class Check:
    """One written line read back against its text."""

    read: str  # what the reader read
    cer: float  # character error rate of the read-back
    dropped: int  # words of the text missing from the read-back
    reached_end: bool  # the writer's window reached the text's end (its `aligned`)

    @property
    def ok(self) -> bool:
        return self.dropped == 0 and self.cer <= MAX_CER and self.reached_end


@dataclasses.dataclass(frozen=True)
class Verified:
    written: dict[str, list]  # the writer's fields (lines, stopped, ...), the kept version's
    checks: list[Check]  # its read-back
    attempts: list[int]  # versions written of each line
    doubtful: list[int]  # lines still failing after TRIES rounds

    @property
    def lines(self) -> list[np.ndarray]:
        return self.written["lines"]


def dropped_words(text: str, read: str) -> int:
    """Words of `text` with no counterpart in `read` (deletions of the word
    alignment: a misread word is a substitution, not a drop)."""
    ops = Levenshtein.editops(text.split(), read.split())
    return sum(op.tag == "delete" for op in ops)


def check(text: str, read: str, reached_end: bool) -> Check:
    return Check(read=read, cer=error_rates.counts(text, read).cer,
                 dropped=dropped_words(text, read), reached_end=bool(reached_end))


def _rank(c: Check) -> tuple:
    """Smaller is better: passing lines, then fewer dropped words, then lower CER."""
    return (not c.ok, c.dropped, c.cer, not c.reached_end)


# (texts, key) -> the writer's fields, one entry per text (at least 'lines'
# and 'aligned'; a writer may return padding rows after them).
WriteFn = Callable[[list[str], jax.Array], dict]
ReadFn = Callable[[list[np.ndarray]], list[str]]


def reader(reader_kind, reader_model, writer_meta: dict) -> ReadFn:
    """A reader as a ReadFn for a writer's lines (raw units of the writer's
    data): ink from another dataset than the reader's is first fitted to the
    reader's size and spacing. legibility.read_back reads through it too."""
    fit = writer_meta.get("dataset") != reader_kind.meta.get("dataset")

    def read(lines: list[np.ndarray]) -> list[str]:
        return reader_kind.read(reader_model, [reader_kind.fit_ink(x) if fit else x
                                               for x in lines])
    return read


def verified_write(write: WriteFn, read: ReadFn, texts: Sequence[str], key: jax.Array, *,
                   tries: int = TRIES, candidates: int = CANDIDATES,
                   max_rows: int = MAX_ROWS) -> Verified:
    """`texts` written by `write`, each line read back by `read` and written
    again while it fails (module docstring); tries=1 writes once and only checks."""
    if tries < 1 or candidates < 1:
        raise ValueError(f"tries={tries}, candidates={candidates}: both must be >= 1")
    texts = list(texts)
    first = write(texts, jax.random.fold_in(key, 0))
    written = {k: list(v[:len(texts)]) for k, v in first.items() if k != "texts"}
    checks = [check(t, r, a) for t, r, a in zip(texts, read(written["lines"]),
                                                 written["aligned"], strict=True)]
    attempts = [1] * len(texts)
    for round_ in range(1, tries):
        failing = [i for i, c in enumerate(checks) if not c.ok]
        if not failing:
            break
        each = max(1, min(candidates, max_rows // len(failing)))
        rows = [texts[i] for i in failing for _ in range(each)]
        again = write(rows, jax.random.fold_in(key, round_))
        reads = read(list(again["lines"][:len(rows)]))
        for j, i in enumerate(failing):
            for k in range(j * each, (j + 1) * each):
                c = check(texts[i], reads[k], again["aligned"][k])
                if _rank(c) < _rank(checks[i]):
                    checks[i] = c
                    for field in written:
                        written[field][i] = again[field][k]
            attempts[i] += each
    return Verified(written=written, checks=checks, attempts=attempts,
                    doubtful=[i for i, c in enumerate(checks) if not c.ok])
