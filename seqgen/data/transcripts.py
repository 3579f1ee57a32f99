"""The character vocabulary of line transcriptions: what the synthesis
network reads through its soft window (Graves 2013 §5).

An `Alphabet` maps each character of a text to an int32 id >= 1; id 0 is
padding and never a character (`chars[0] == ""`). `size` counts the padding
id, so a one-hot input has `size` columns. It is built from the training
transcriptions (`from_texts`) and stored in checkpoints (`to_dict` /
`from_dict`), so a model writes with the vocabulary it was trained on.
Encoding gives exactly one id per character of the text (no normalisation
that could merge or split characters), so position u of the ids is
character u of the text.

Full alphabet (the default): every character that occurs at least
`min_count` times in the training texts, sorted by code point; control,
format, surrogate, private-use and unassigned characters (Unicode category
C*) never enter it.

Reduced alphabet (`reduced=True`), after Graves §5: the IAM-OnDB
transcriptions hold about 80 distinct characters, and he kept 57, mapping
all digits and most punctuation to one "non-letter" class. His paper does
not list the marks he kept; here 57 = 52 letters a-z A-Z + space + the three
marks in REDUCED_PUNCTUATION (our choice) + NON_LETTER ('#'). Every other
digit, punctuation mark and math, currency or modifier symbol (Unicode
categories N*, P*, Sm, Sc, Sk) is NON_LETTER, in training and when writing
alike; '#' itself is such a symbol, so reducing is idempotent. Other
characters (accented letters, other scripts, spaces other than ' ') are not
reduced; they enter the alphabet as they are and, when unseen, fall back as
below.

Unseen characters (in neither the alphabet nor, for a reduced one, its
classes; e.g. 'Q' when training only had 'q': users of other
implementations hit this with Q, X and Z). With on_unseen='fallback' (the
default) each gets the first of these that is in the alphabet, and `encode`
logs one warning line listing the substitutions:
  whitespace (tab, no-break space, ...)   -> ' '
  a letter                                -> the same letter in the other
                                             case; then its accent-free
                                             ASCII base ('é' -> 'e', 'E');
                                             then NON_LETTER; then ' '
  a digit, punctuation mark or symbol     -> its ASCII twin ('１' -> '1',
    of categories N*, P*, Sm, Sc, Sk         '²' -> '2', ’ -> ', “ -> ",
                                             – -> -); then NON_LETTER;
                                             then ' '
NON_LETTER is a fallback only in reduced alphabets (in a full one '#' is
just '#'). With on_unseen='error' any unseen character is an error.
Unmappable characters are always an error (`TranscriptError`, one line
listing them): control and format characters (C*), "other" symbols (So:
emoji, pictographs, ©), lone combining marks (M*: write 'é', not 'e' + U+0301),
and any character whose fallbacks are all missing from the alphabet; and
for a writer's text (blank_ok=False) a character that could only be written
as a space (a Cyrillic letter), since a gap on the page is no substitute a
user would agree to.
An empty (or whitespace-only) text is an error too: there is nothing to write.

The text side's `Vocab` (vocab.py) is a separate class on purpose: there
every id is a token and unknown symbols are errors; vocab.py's docstring
says why the two are not merged.
"""

from __future__ import annotations

import logging
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from seqgen.data.strokes import StrokeDataError

log = logging.getLogger(__name__)

NON_LETTER = "#"  # the reduced alphabet's class of digits, most punctuation and symbols
REDUCED_PUNCTUATION = ".,'"  # marks a reduced alphabet keeps as themselves
LETTERS = string.ascii_letters
_NON_LETTER_CATEGORIES = ("N", "P", "Sm", "Sc", "Sk")  # prefixes of Unicode categories
_TYPOGRAPHIC = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
                "\u2212": "-", "\u00ab": '"', "\u00bb": '"'}
_MAX_LISTED = 20  # characters listed in a warning or error, to stay one line
_UNMAPPABLE = -1


class TranscriptError(StrokeDataError):
    """A text the alphabet cannot encode; one line listing the characters and the fix."""


def _is_non_letter(c: str) -> bool:
    return unicodedata.category(c).startswith(_NON_LETTER_CATEGORIES)


def _unmappable(c: str) -> bool:
    cat = unicodedata.category(c)
    return (cat[0] in "CM" or cat == "So") and not c.isspace()


def reduce_char(c: str) -> str:
    """A character's symbol in a reduced alphabet: itself or NON_LETTER."""
    if c in LETTERS or c == " " or c in REDUCED_PUNCTUATION:
        return c
    return NON_LETTER if _is_non_letter(c) else c


def _listed(chars: Iterable[str]) -> str:
    chars = list(chars)
    more = f" and {len(chars) - _MAX_LISTED} more" if len(chars) > _MAX_LISTED else ""
    return ", ".join(repr(c) for c in chars[:_MAX_LISTED]) + more


class Alphabet:
    """An immutable id -> character table; id 0 is padding."""

    def __init__(self, chars: Iterable[str], *, reduced: bool = False):
        chars = tuple(chars)
        if not chars:
            raise TranscriptError("Alphabet: no characters; build it from non-empty "
                                  "training transcriptions.")
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise TranscriptError(f"Alphabet: entries must be single characters, got "
                                  f"{_listed(bad)}.")
        if len(set(chars)) != len(chars):
            raise TranscriptError("Alphabet: the characters contain duplicates.")
        if reduced:
            off = [c for c in chars if reduce_char(c) != c]
            if off:
                raise TranscriptError(f"Alphabet: a reduced alphabet cannot hold "
                                      f"{_listed(off)}; they map to {NON_LETTER!r}.")
        self.chars: tuple[str, ...] = ("",) + chars
        self.reduced = bool(reduced)
        self._index = {c: i for i, c in enumerate(self.chars) if i}
        self._has_non_letter = self.reduced and NON_LETTER in self._index
        # char -> (id, substitute or None); filled lazily, one resolution per character.
        self._memo: dict[str, tuple[int, str | None]] = {}

    @property
    def size(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Alphabet) and self.chars == other.chars
                and self.reduced == other.reduced)

    def __hash__(self) -> int:
        return hash((self.chars, self.reduced))

    def __repr__(self) -> str:
        return f"Alphabet(size={self.size}, reduced={self.reduced})"

    # -- construction -----------------------------------------------------------

    @classmethod
    def from_texts(cls, texts: Sequence[str], *, reduced: bool = False,
                   min_count: int = 1) -> Alphabet:
        """The characters (or reduced symbols) that occur >= min_count times."""
        if min_count < 1:
            raise TranscriptError(f"Alphabet.from_texts: min_count={min_count} must be >= 1.")
        counts = Counter()
        for text in texts:
            counts.update(text)
        symbols = Counter()
        for c, n in counts.items():
            if unicodedata.category(c)[0] != "C":
                symbols[reduce_char(c) if reduced else c] += n
        kept = sorted(c for c, n in symbols.items() if n >= min_count)
        if not kept:
            raise TranscriptError(
                f"Alphabet.from_texts: no character occurs {min_count}+ times in the "
                f"{len(texts)} training transcriptions; check the dataset's texts or "
                f"lower min_count.")
        return cls(kept, reduced=reduced)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `Alphabet.from_dict` rebuilds an equal Alphabet."""
        return {"chars": list(self.chars[1:]), "reduced": self.reduced}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Alphabet:
        return cls(d["chars"], reduced=bool(d.get("reduced", False)))

    # -- encoding ---------------------------------------------------------------

    def _candidates(self, c: str) -> list[str]:
        """Fallbacks of an unseen character, in order (see the module docstring)."""
        if c.isspace():
            return [" "]
        if _unmappable(c):
            return []
        out = []
        # Compatibility decomposition: 'é' -> 'e' + accent, '１' -> '1', '²' -> '2'.
        base = unicodedata.normalize("NFKD", c)[:1]
        base = base if base != c and base.isascii() else ""
        if c.isalpha():
            if len(c.swapcase()) == 1:
                out.append(c.swapcase())
            if base in LETTERS and base:
                out += [base, base.swapcase()]
        else:
            out += [self._symbol(s) for s in (base, _TYPOGRAPHIC.get(c, "")) if s]
        if self._has_non_letter:
            out.append(NON_LETTER)
        return out + [" "]

    def _symbol(self, c: str) -> str:
        return reduce_char(c) if self.reduced else c

    def _resolve(self, c: str) -> tuple[int, str | None]:
        """(id, the substitute when c is unseen) or (_UNMAPPABLE, None)."""
        hit = self._memo.get(c)
        if hit is None:
            i = self._index.get(self._symbol(c))
            if i is not None:
                hit = (i, None)
            else:
                found = [s for s in self._candidates(c) if s in self._index]
                hit = (self._index[found[0]], found[0]) if found else (_UNMAPPABLE, None)
            self._memo[c] = hit
        return hit

    def unseen(self, text: str) -> list[str]:
        """Characters of text (each once, in order) that the alphabet lacks: they
        need a fallback or cannot be written at all."""
        return [c for c in dict.fromkeys(text) if self._symbol(c) not in self._index]

    def encode_with_fallbacks(self, text: str, *, on_unseen: str = "fallback",
                              blank_ok: bool = True) -> tuple[np.ndarray, dict[str, str]]:
        """Text -> (int32 ids >= 1, one per character; {unseen char: substitute}).

        blank_ok=False (a writer's text): a character that is not a space but
        could only be written as one (a letter of another script: 'П') is an
        error like an emoji, not a silent gap on the page.
        Logs nothing: callers that encode many texts warn once for all.
        """
        if on_unseen not in ("fallback", "error"):
            raise ValueError(f"on_unseen={on_unseen!r}: use 'fallback' or 'error'.")
        if not text.strip():
            raise TranscriptError(f"text {text!r} is empty: give at least one character "
                                  f"to write.")
        resolved = [self._resolve(c) for c in text]
        bad = [c for c, (i, sub) in zip(text, resolved, strict=True) if i == _UNMAPPABLE
               or not blank_ok and sub == " " and not c.isspace()]
        if bad:
            raise TranscriptError(
                f"text {_short(text)}: {len(set(bad))} character(s) cannot be written with "
                f"this {self.size - 1}-character alphabet: {_listed(dict.fromkeys(bad))}; "
                f"remove or replace them (emoji, control characters and lone accents "
                f"have no fallback{'' if blank_ok else NO_GAPS}).")
        subs = {c: s for c, (_, s) in zip(text, resolved, strict=True) if s is not None}
        if subs and on_unseen == "error":
            raise TranscriptError(
                f"text {_short(text)}: {len(subs)} character(s) never seen in training: "
                f"{_listed(subs)}; use on_unseen='fallback' to write them as "
                f"{_listed(subs.values())}, or train with texts that contain them.")
        return np.array([i for i, _ in resolved], np.int32), subs

    def encode(self, text: str, *, on_unseen: str = "fallback") -> np.ndarray:
        """Text -> int32 ids >= 1; warns once (one line) when characters fell back."""
        ids, subs = self.encode_with_fallbacks(text, on_unseen=on_unseen)
        if subs:
            warn_fallbacks(subs)
        return ids

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """Ids -> text; padding (0) is left out."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise TranscriptError(f"Alphabet.decode: ids must be in [0, {self.size}), got "
                                  f"{ids.min()}..{ids.max()}.")
        return "".join(self.chars[i] for i in ids.tolist())


NO_GAPS = "; a gap on the page is no substitute for the others"


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def warn_fallbacks(subs: Mapping[str, str], where: str = "") -> None:
    """One warning line: which unseen characters were written as which."""
    pairs = [f"{c!r}->{s!r}" for c, s in subs.items()]
    more = f" and {len(pairs) - _MAX_LISTED} more" if len(pairs) > _MAX_LISTED else ""
    log.warning("%s%d character(s) never seen in training are written as a fallback: %s%s "
                "(seqgen/data/transcripts.py documents the fallbacks)",
                f"{where}: " if where else "", len(pairs), ", ".join(pairs[:_MAX_LISTED]), more)
