"""Character and word error rates: edit distance over the reference length.

CER = (substitutions + deletions + insertions) / reference characters, and
WER the same over words (split on whitespace), both summed over all lines
before dividing (a corpus rate, as recognition papers report), by
Levenshtein distances from rapidfuzz.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein


@dataclasses.dataclass
class ErrorCounts:
    char_edits: int = 0
    chars: int = 0
    word_edits: int = 0
    words: int = 0

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(*(a + b for a, b in zip(dataclasses.astuple(self),
                                                   dataclasses.astuple(other), strict=True)))

    @property
    def cer(self) -> float:
        return self.char_edits / max(self.chars, 1)

    @property
    def wer(self) -> float:
        return self.word_edits / max(self.words, 1)


def counts(reference: str, hypothesis: str) -> ErrorCounts:
    """Edits that turn `hypothesis` into `reference`, and its size."""
    ref_words, hyp_words = reference.split(), hypothesis.split()
    return ErrorCounts(Levenshtein.distance(reference, hypothesis), len(reference),
                       Levenshtein.distance(ref_words, hyp_words), len(ref_words))


def total(pairs: Iterable[tuple[str, str]]) -> ErrorCounts:
    """Summed counts of (reference, hypothesis) pairs."""
    out = ErrorCounts()
    for ref, hyp in pairs:
        out = out + counts(ref, hyp)
    return out
