"""Any text file the user names, as character or byte ids.

data_config fields:
  path:   the file ('~' is expanded); it must exist and not be empty.
  level:  'char' (default): the file must be UTF-8; the vocabulary is its
          sorted characters (at most 65,536 distinct ones). 'byte': any file;
          the vocabulary is the byte values that occur.
  valid_fraction, test_fraction: the last test_fraction of the tokens is
          test, the valid_fraction before it valid, the rest train
          (contiguous; default 0.05 and 0.05).

Prepared once (tokens.py) as one split 'full', in a config named after the
level and the sha256 of the content ('char_<16 hex digits>'), so an edited
file is prepared anew rather than read stale; the tail split is cut on
reading. `prepared_text` does the same for any text held in memory (the
vendored Shakespeare corpus uses it).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data.prepare import config_get, resolve_dirs
from seqgen.data.text import DataError, TextSplits
from seqgen.data.text.tokens import (
    HashConfig,
    Source,
    TokenBuilder,
    chunks_of,
    decode_utf8,
    load_prepared,
    sha256_bytes,
    split_fractions,
    tail_split,
)
from seqgen.data.vocab import Vocab


class SeqgenTextFile(TokenBuilder, skip_registration=True):
    """A user's text file as char or byte ids, split 'full'; config = level + hash."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Char or byte ids of the whole file, 64 Ki ids a record."}


def load_text_file(data_config: Any) -> TextSplits:
    """The tail split of data_config.path (see the module docstring)."""
    fractions = split_fractions(data_config, "text_file")  # before any work
    level = config_get(data_config, "level", "") or "char"
    data, file = _read(config_get(data_config, "path", ""), level)
    data_dir, _ = resolve_dirs(data_config)
    full, vocab = prepared_text(SeqgenTextFile, data_dir, data, level, os.fspath(file))
    return TextSplits(*tail_split(full, *fractions, "text_file"), vocab=vocab,
                      name="text_file")


def prepared_text(cls: type[TokenBuilder], data_dir: Path, data: bytes, level: str,
                  where: str) -> tuple[np.ndarray, Vocab]:
    """All ids of `data` and the vocabulary, prepared once per content in `cls`."""
    sha = sha256_bytes(data)
    config = HashConfig(name=f"{level}_{sha[:16]}", description=f"{where} {sha}")
    arrays, vocab = load_prepared(cls, data_dir, config,
                                  lambda: _source(data, level, where, sha))
    return arrays["full"], vocab


def _source(data: bytes, level: str, where: str, sha: str) -> Source:
    """Char ids of UTF-8 text (vocabulary: its characters), or byte ids."""
    if level == "byte":
        codes = np.frombuffer(data, np.uint8)
        counts = np.bincount(codes, minlength=256)
        vocab = Vocab("byte", np.flatnonzero(counts).tolist())
        ids = vocab.encode_codes(codes)
    else:
        text = decode_utf8(data, f"text_file: {where}",
                           "convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8) or set "
                           "data_config.level='byte'")
        vocab = Vocab.from_text(text, "char")
        limit = np.iinfo(TokenBuilder.TOKEN_DTYPE).max + 1
        if vocab.size > limit:
            raise DataError(f"text_file: {where} has {vocab.size} distinct characters, "
                            f"more than {limit} ids fit: set data_config.level='byte'.")
        ids = vocab.encode(text)
    return Source(vocab, {"full": chunks_of(ids)},
                  {"input_file": where, "input_sha256": sha})


def _read(path: str, level: str) -> tuple[bytes, Path]:
    if not path:
        raise DataError("dataset='text_file' needs data_config.path: set it to a "
                        "UTF-8 text file.")
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"text_file: {file} does not exist or is not a file: fix "
                        f"data_config.path.")
    data = file.read_bytes()
    if not data:
        raise DataError(f"text_file: {file} is empty: point data_config.path at a "
                        f"file with text.")
    if level not in ("char", "byte"):
        raise DataError(f"data_config.level={level!r}: use 'char' or 'byte'.")
    return data, file
