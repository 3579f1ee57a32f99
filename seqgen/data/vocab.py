"""Token vocabularies for text: bytes, characters or words.

A `Vocab` is the id <-> symbol table that a model's embedding and softmax are
sized by. It is stored in the prepared dataset's metadata and in checkpoints
(`to_dict` / `from_dict`), so a sampler can turn ids back into text without
the data.

Levels:
  byte  tokens are int byte values (0..255); `encode` takes the UTF-8 bytes of
        the text; `decode` turns ids into bytes and decodes them as UTF-8,
        replacing invalid sequences (a model may sample half a character).
  char  tokens are one-character strings (Unicode code points).
  word  tokens are words; a line break is the token '<eos>' when the
        vocabulary has it (Penn Treebank convention), and words missing from
        the vocabulary become '<unk>' when it has that.

Why not one class with the synthesis `Alphabet` (transcripts.py): both are
id <-> symbol tuples, but what they share is a tuple, a dict and equality,
while what matters differs. Here every id is a symbol and id 0 is the first
token (the softmax predicts every id); there id 0 is padding that is never
a character. Here an unknown symbol is an error (a corpus is encoded once,
exactly, and fast: a searchsorted over the whole text); there it falls back
to a near character, one at a time, and a reduced alphabet merges classes.
Their `to_dict` forms ({'level', 'tokens'} vs {'chars', 'reduced'}) are in
prepared datasets and checkpoints and must not change. A shared base class
would hold a few lines and tie the text and handwriting sides together.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from seqgen.command.errors import UserError

LEVELS = ("byte", "char", "word")
EOS = "<eos>"
UNK = "<unk>"
# Error messages list at most this many unknown symbols, to stay one line.
_MAX_LISTED = 20


class Vocab:
    """An immutable id -> token table with fast numpy encoding."""

    def __init__(self, level: str, tokens: Iterable[Any]):
        if level not in LEVELS:
            raise ValueError(f"Vocab level {level!r} is not one of {LEVELS}.")
        tokens = tuple(int(t) for t in tokens) if level == "byte" else tuple(tokens)
        if not tokens:
            raise ValueError(f"Vocab: a {level} vocabulary needs at least one token.")
        if level == "byte" and not all(0 <= t < 256 for t in tokens):
            raise ValueError("Vocab: byte tokens must be integers in [0, 255].")
        if level == "char" and not all(
                isinstance(t, str) and len(t) == 1 for t in tokens):
            raise ValueError("Vocab: char tokens must be one-character strings.")
        if level == "word" and not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("Vocab: word tokens must be non-empty strings.")
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"Vocab: the {level} tokens contain duplicates.")
        self.level = level
        self.tokens = tokens
        self._index = {t: i for i, t in enumerate(tokens)}
        if level in ("byte", "char"):
            # Sorted symbol codes and their ids: encoding is a searchsorted over
            # the whole text instead of a Python loop per character.
            codes = np.array(tokens if level == "byte" else [ord(t) for t in tokens],
                             dtype=np.int64)
            order = np.argsort(codes)
            self._codes = codes[order]
            self._ids = order.astype(np.int32)

    @property
    def size(self) -> int:
        return len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Vocab) and self.level == other.level
                and self.tokens == other.tokens)

    def __hash__(self) -> int:
        return hash((self.level, self.tokens))

    def __repr__(self) -> str:
        return f"Vocab(level={self.level!r}, size={self.size})"

    # -- encoding ---------------------------------------------------------------

    def encode(self, text: str) -> np.ndarray:
        """Text -> int32 ids. Symbols outside the vocabulary raise ValueError."""
        if self.level == "word":
            return self._encode_words(text)
        if self.level == "byte":
            codes = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        else:
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        return self.encode_codes(codes)

    def encode_codes(self, codes: np.ndarray) -> np.ndarray:
        """Byte values (byte level) or code points (char level) -> int32 ids."""
        if self.level == "word":
            raise ValueError("Vocab.encode_codes is for byte and char vocabularies.")
        codes = np.asarray(codes)
        pos = np.searchsorted(self._codes, codes)
        pos = np.minimum(pos, len(self._codes) - 1)
        known = self._codes[pos] == codes
        if not known.all():
            missing = np.unique(codes[~known])
            shown = [m if self.level == "byte" else chr(m) for m in missing.tolist()]
            raise UserError(self._unknown_message(shown))
        return self._ids[pos]

    def _encode_words(self, text: str) -> np.ndarray:
        unk = self._index.get(UNK)
        has_eos = EOS in self._index
        words: list[str] = []
        lines = text.split("\n")
        for i, line in enumerate(lines):
            words.extend(line.split())
            # A line break becomes <eos>; the piece after the last '\n' has none.
            if has_eos and i < len(lines) - 1:
                words.append(EOS)
        ids = [self._index.get(w, unk) for w in words]
        if unk is None and None in ids:
            missing = sorted({w for w, i in zip(words, ids, strict=True) if i is None})
            raise UserError(self._unknown_message(missing))
        return np.array(ids, dtype=np.int32)

    def _unknown_message(self, missing: list) -> str:
        listed = ", ".join(repr(m) for m in missing[:_MAX_LISTED])
        more = (f" and {len(missing) - _MAX_LISTED} more"
                if len(missing) > _MAX_LISTED else "")
        return (f"{len(missing)} symbol(s) not in the {self.level} vocabulary "
                f"(size {self.size}): {listed}{more}; build the vocabulary from text "
                f"that contains them.")

    # -- decoding ---------------------------------------------------------------

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """Ids -> text. Inverse of `encode` on text made of known symbols."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"Vocab.decode: ids must be in [0, {self.size}), "
                             f"got min {ids.min()} max {ids.max()}.")
        if self.level == "byte":
            table = np.array(self.tokens, dtype=np.uint8)
            return table[ids].tobytes().decode("utf-8", errors="replace")
        if self.level == "char":
            return "".join(self.tokens[i] for i in ids.tolist())
        lines: list[list[str]] = [[]]
        for i in ids.tolist():
            token = self.tokens[i]
            if token == EOS:
                lines.append([])
            else:
                lines[-1].append(token)
        return "\n".join(" ".join(line) for line in lines)

    # -- serialisation ----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; `Vocab.from_dict` rebuilds an equal Vocab."""
        return {"level": self.level, "tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vocab:
        return cls(d["level"], d["tokens"])

    # -- construction -----------------------------------------------------------

    @classmethod
    def from_text(cls, text: str, level: str = "char") -> Vocab:
        """The sorted set of bytes or characters that occur in `text`."""
        if level == "byte":
            raw = np.frombuffer(text.encode("utf-8"), np.uint8)
            counts = np.bincount(raw, minlength=256)
            return cls("byte", np.flatnonzero(counts).tolist())
        if level == "char":
            return cls("char", sorted(set(text)))
        raise ValueError("Vocab.from_text builds byte or char vocabularies; "
                         "for words use Vocab.from_words.")

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocab:
        """Words by descending frequency, ties alphabetical (TensorFlow's PTB order)."""
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        return cls("word", sorted(counts, key=lambda w: (-counts[w], w)))
