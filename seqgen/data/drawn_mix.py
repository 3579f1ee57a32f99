"""Mixed texts for drawn handwriting: Shakespeare, modern prose and number phrases.

data_config.texts = 'shakespeare' (the default) draws the Shakespeare lines
of drawn_texts.py, exactly as always. 'mixed' draws each line from one of
three sources (SOURCES):
  shakespeare  the same Shakespeare pools (drawn_texts.wrap_corpus);
  prose        the Jargon File's prose (seqgen/data/text/jargon.py: computing
               and everyday modern words, public domain) wrapped the same way,
               with the same 90/5/5% contiguous train/valid/test stretches;
  numbers      generated phrases with dates, amounts, times, counts,
               references, addresses and years (phrases.py), split by the
               hash of each line.
A line's source is drawn independently with probabilities prose_fraction,
numbers_fraction and 1 - both for Shakespeare (so the proportions hold on
average: over n lines a source's share has standard deviation
sqrt(p (1 - p) / n)). Line i of split k takes its source from
default_rng([seed, k, MIX_TAG]); the Shakespeare and prose lines come from
permutations of their pools (default_rng([seed, k]) and [seed, k,
PROSE_TAG]; rounds of the pool once it is used up, as the legacy lines do),
the phrases from phrases.phrases(seed, split, ...). The lines are drawn in
this order (MixedPools.in_order), so asking for more lines keeps the first
ones.

Disjointness: each source keeps its splits apart (disjoint corpus stretches
with repeated texts dropped; phrases by hash), and across sources the rare
text that two share ('Farewell.' in both corpora) is kept in one split only:
a corpus's valid (test) line that the other corpus has in train (train or
valid) is dropped, as wrap_corpus drops its own, and a split's phrases
skip every corpus line of the other splits. So train, valid and test share
no line; tests/mixed_texts_test.py checks it.

Alphabet: the phrases use digits and the symbols of phrases.PHRASE_CHARS
($ % & ' ( ) + , - . / : = £ €); ALPHABET_EXTRA (those and the letters
a-z, A-Z) goes into the dataset info as 'alphabet_extra', and the
handwriting kinds add it to the alphabet built from the training texts, so
every digit, symbol and letter has its own id even when a small training
set happens to lack one. The fonts: every WRITER_FONTS
font draws them all except £ and € in the two Hershey fonts, which borrow
them from the next font that has them (counted in info['fallback_glyphs']).

Density: drawing.py calibrates points per character on Shakespeare's
characters, for every texts setting, so the legacy lines stay the same.
"""
from __future__ import annotations

import dataclasses
import string
from collections.abc import Mapping
from typing import Any

import numpy as np

from seqgen.data import phrases
from seqgen.data.drawn_texts import SPLITS, TextPools, wrap_corpus
from seqgen.data.prepare import config_get
from seqgen.data.strokes import StrokeDataError

TEXTS = ("shakespeare", "mixed")
SOURCES = ("shakespeare", "prose", "numbers")
DEFAULT_FRACTIONS = {"prose_fraction": 0.3, "numbers_fraction": 0.3}
MIX_VERSION = "1.0.0"  # change whenever the mixed lines change (phrases has its own)
MIX_TAG = 0x6D6978  # 'mix': seed entropy of the sources' draw
PROSE_TAG = 0x70726F  # 'pro': seed entropy of the prose pool's order
ALPHABET_EXTRA = "".join(sorted(set(phrases.PHRASE_CHARS + string.ascii_letters)))


@dataclasses.dataclass(frozen=True)
class Mix:
    """The mixing proportions of texts='mixed' (fractions of lines)."""

    prose: float
    numbers: float

    @property
    def probabilities(self) -> tuple[float, float, float]:
        """Of SOURCES, in order."""
        return (max(0.0, 1.0 - self.prose - self.numbers), self.prose, self.numbers)


@dataclasses.dataclass(frozen=True)
class MixedPools:
    """The text of every line of each split, in the order they are drawn."""

    lines: Mapping[str, tuple[str, ...]]  # split -> the n lines' texts
    skipped: Mapping[str, int]  # reason -> count, of both wrapped corpora
    sources: Mapping[str, Mapping[str, int]]  # split -> source -> lines
    pool_lines: Mapping[str, int]  # split -> Shakespeare + prose pool lines
    reused: Mapping[str, int]  # split -> lines whose text an earlier line had
    in_order: bool = True  # drawn.py takes line i from lines[i], no permutation


def fractions_error(texts: Any, prose: Any, numbers: Any) -> str | None:
    """What is wrong with the settings, as 'field=value: fix', or None. The
    fractions must be fractions always, and leave Shakespeare >= 0 when mixed."""
    if texts not in TEXTS:
        return f"texts={texts!r}: use one of {TEXTS}"
    for name, value in (("prose_fraction", prose), ("numbers_fraction", numbers)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0.0 <= value <= 1.0):
            return f"{name}={value!r}: a fraction of the lines in [0, 1] (typical 0.3)"
    if texts == "mixed" and prose + numbers > 1.0 + 1e-9:
        return (f"prose_fraction + numbers_fraction = {prose + numbers:g} > 1: lower them "
                f"(Shakespeare gets 1 - their sum)")
    return None


def settings(data_config: Any) -> Mix | None:
    """The mix of a data config, checked; None for the Shakespeare lines."""
    texts = config_get(data_config, "texts", "shakespeare")
    prose = config_get(data_config, "prose_fraction", DEFAULT_FRACTIONS["prose_fraction"])
    numbers = config_get(data_config, "numbers_fraction",
                         DEFAULT_FRACTIONS["numbers_fraction"])
    error = fractions_error(texts, prose, numbers)
    if error:
        raise StrokeDataError(f"data_config.{error}.")
    return Mix(float(prose), float(numbers)) if texts == "mixed" else None


def _cycled(pool: tuple[str, ...], rng: np.random.Generator, n: int) -> list[str]:
    """n lines of the pool: permutations of it, one after another."""
    if n and not pool:
        raise StrokeDataError("drawn: a text source gives no lines for a split; raise "
                              "data_config.max_chars.")
    rounds = -(-n // len(pool)) if n else 0
    order = [j for _ in range(rounds) for j in rng.permutation(len(pool))]
    return [pool[j] for j in order[:n]]


def _disjoint(*corpora: TextPools) -> list[TextPools]:
    """The corpora's pools with no text in two splits (see the module docstring)."""
    lines: list[dict[str, tuple[str, ...]]] = [{} for _ in corpora]
    seen: set[str] = set()
    for split in SPLITS:
        for kept, corpus in zip(lines, corpora, strict=True):
            kept[split] = tuple(t for t in corpus.lines[split] if t not in seen)
        seen.update(t for kept in lines for t in kept[split])
    return [TextPools(lines=kept, skipped={
        **corpus.skipped, "lines_in_another_corpus_before": sum(
            len(corpus.lines[s]) - len(kept[s]) for s in SPLITS)})
        for kept, corpus in zip(lines, corpora, strict=True)]


def mixed_pools(shakespeare: TextPools, prose_text: str, seed: int,
                counts: Mapping[str, int], max_chars: int, mix: Mix) -> MixedPools:
    """The lines of each split (see the module docstring)."""
    corpora = _disjoint(shakespeare, wrap_corpus(prose_text, max_chars))
    cdf = np.cumsum(mix.probabilities)
    lines, sources, pool_lines, reused = {}, {}, {}, {}
    for k, split in enumerate(SPLITS):
        shakes, prose = (c.lines[split] for c in corpora)
        elsewhere = {t for c in corpora for s in SPLITS if s != split for t in c.lines[s]}
        n = counts[split]
        which = np.searchsorted(cdf, np.random.default_rng([seed, k, MIX_TAG]).random(n),
                                side="right").clip(0, len(SOURCES) - 1)
        wanted = [int((which == s).sum()) for s in range(len(SOURCES))]
        texts = [
            _cycled(shakes, np.random.default_rng([seed, k]), wanted[0]),
            _cycled(prose, np.random.default_rng([seed, k, PROSE_TAG]), wanted[1]),
            phrases.phrases(seed, split, wanted[2], max_chars, exclude=elsewhere)]
        taken = [0, 0, 0]
        out = []
        for s in which.tolist():
            out.append(texts[s][taken[s]])
            taken[s] += 1
        lines[split] = tuple(out)
        sources[split] = dict(zip(SOURCES, wanted, strict=True))
        pool_lines[split] = len(shakes) + len(prose)
        reused[split] = max(0, wanted[0] - len(shakes)) + max(0, wanted[1] - len(prose))
    skipped = {**corpora[0].skipped,
               **{f"prose_{r}": c for r, c in corpora[1].skipped.items()}}
    return MixedPools(lines=lines, skipped=skipped, sources=sources, pool_lines=pool_lines,
                      reused=reused)


def info(pools: MixedPools, mix: Mix) -> dict:
    """The dataset info's entries for mixed texts (JSON-safe)."""
    return {"texts": "mixed", "mix_version": MIX_VERSION,
            "phrases_version": phrases.PHRASES_VERSION,
            "text_fractions": dict(zip(SOURCES, mix.probabilities, strict=True)),
            "text_sources": {s: dict(v) for s, v in pools.sources.items()},
            "pool_lines": dict(pools.pool_lines), "lines_reused": dict(pools.reused),
            "alphabet_extra": ALPHABET_EXTRA}


def update_source_hash(h: Any) -> None:
    """Adds what the mixed lines are made of to drawn.py's source sha256."""
    h.update(prose_text().encode("ascii"))
    h.update(f"mix {MIX_VERSION} phrases {phrases.PHRASES_VERSION}".encode())


def prose_text() -> str:
    """The prose source's corpus (a function, so that tests can replace it)."""
    from seqgen.data.text.jargon import jargon_text

    return jargon_text()

