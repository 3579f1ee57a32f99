"""What drawn handwriting writes: the Shakespeare corpus wrapped into text lines.

`wrap_corpus(corpus, max_chars)` cuts the vendored Shakespeare corpus
(`seqgen.data.text.shakespeare.shakespeare_text()`) into text lines of each
split, wrapped at word boundaries to a length drawn uniformly from
[max_chars // 2, max_chars] characters (max_chars = 50 by default gives 30.6
characters a line on average, 5-95% range 9-46; IAM-OnDB lines average
~30-45). Source lines that are only a speaker's name ('Ham.', 'LADY
MACBETH.') or have no lowercase letter (titles, 'ACT I.', sonnet numbers) are
skipped; a text line never spans a blank or skipped source line (a paragraph
or a change of speaker) and never holds a word longer than max_chars (such
words are skipped and counted). The wrapping has its own constant seed
(WRAP_SEED), so the pools of text lines do not depend on data_config.seed.

Train, valid and test lines come from disjoint stretches of the corpus, the
same as the 'shakespeare' text dataset's: characters [0, 90%) train, [90%,
95%) valid, [95%, 100%) test (a line crossing a boundary is dropped); valid
lines whose text also occurs in train (e.g. '[Exit.]') and test lines whose
text occurs in train or valid are dropped too, so validation text was never
seen in training and the splits share no text. A change here that changes
the pools changes the drawn lines: bump drawn.GENERATION_VERSION with it.
"""
from __future__ import annotations

import collections
import dataclasses
import re
from collections.abc import Mapping

import numpy as np

from seqgen.data.strokes import StrokeDataError

SPLITS = ("train", "valid", "test")
SPLIT_FRACTIONS = (0.90, 0.05, 0.05)  # contiguous: train, then valid, then test
WRAP_SEED = 20130804  # fixed: the text pools do not depend on data_config.seed
_SPEAKER = re.compile(r"[A-Z][A-Za-z']*(?: [A-Z][A-Za-z']*){0,2}\.")
_LOWER = re.compile(r"[a-z]")


@dataclasses.dataclass(frozen=True)
class TextPools:
    """Candidate text lines of each split, in corpus order."""

    lines: Mapping[str, tuple[str, ...]]  # split -> lines
    skipped: Mapping[str, int]  # reason -> count


def wrap_corpus(corpus: str, max_chars: int) -> TextPools:
    """The corpus as text lines of each split (see the module docstring)."""
    if max_chars < 10:
        raise StrokeDataError(f"data_config.max_chars={max_chars}: use 10 or more "
                              f"(IAM-OnDB lines have ~30-45 characters).")
    n = len(corpus)
    n_test = round(n * SPLIT_FRACTIONS[2])
    n_valid = round(n * SPLIT_FRACTIONS[1])
    bounds = (0, n - n_valid - n_test, n - n_test, n)  # = text/tokens.py's tail_split
    rng = np.random.default_rng(WRAP_SEED)
    skipped: collections.Counter = collections.Counter()
    pools: dict[str, list[str]] = {s: [] for s in SPLITS}

    def emit(words: list[tuple[int, str]]) -> None:
        start, end = words[0][0], words[-1][0] + len(words[-1][1])
        k = int(np.searchsorted(bounds, start, side="right")) - 1
        if end > bounds[k + 1]:
            skipped["lines_across_split_boundary"] += 1
        else:
            pools[SPLITS[k]].append(" ".join(w for _, w in words))

    offset = 0
    words: list[tuple[int, str]] = []  # (corpus offset, word) of the line being filled
    length = target = 0  # characters in `words` joined by spaces; the line's goal
    for source_line in corpus.split("\n"):
        stripped = source_line.strip()
        skip = bool(stripped) and (_SPEAKER.fullmatch(stripped) is not None
                                   or _LOWER.search(stripped) is None)
        skipped["source_lines_name_or_heading"] += skip
        if not stripped or skip:  # a paragraph or a speech ends: so does the text line
            if words:
                emit(words)
            words = []
        else:
            for m in re.finditer(r"\S+", source_line):
                word = m.group()
                if len(word) > max_chars:
                    skipped["words_longer_than_max_chars"] += 1
                    continue
                if words and length + 1 + len(word) > target:
                    emit(words)
                    words = []
                if not words:
                    length = -1
                    target = int(rng.integers(max_chars // 2, max_chars + 1))
                words.append((offset + m.start(), word))
                length += 1 + len(word)
        offset += len(source_line) + 1
    if words:
        emit(words)
    seen = set(pools["train"])
    for split in SPLITS[1:]:
        kept = [t for t in pools[split] if t not in seen]
        skipped[f"{split}_lines_seen_before"] = len(pools[split]) - len(kept)
        pools[split] = kept
        seen.update(kept)
    return TextPools(lines={s: tuple(v) for s, v in pools.items()}, skipped=dict(skipped))
