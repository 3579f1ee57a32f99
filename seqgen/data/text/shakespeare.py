"""Shakespeare: eight works (~1 MB of UTF-8) vendored in seqgen/third_party/shakespeare.

Source: Project Gutenberg texts, listed with their sizes, sha256s and licence
in seqgen/third_party/shakespeare/PROVENANCE.md. `shakespeare_text()` joins
SHAKESPEARE_WORKS in that order, separated by three blank lines, with a
final newline; drawn handwriting (seqgen/data/drawn.py) writes lines of the
same corpus. The files are package data (seqgen/data/vendored.py), found the
same way from a clone and from an installed wheel. No network is ever used.

Vocabulary: the characters of the whole corpus (76). Split as text_file.py
does (data_config.valid_fraction and test_fraction, default 0.05 each: the
last 5% is test, the 5% before it valid); prepared once per content in a
config named after the corpus's sha256.
"""
from __future__ import annotations

from typing import Any

import tensorflow_datasets as tfds

from seqgen.data.prepare import resolve_dirs
from seqgen.data.text import DataError, TextSplits
from seqgen.data.text.text_file import prepared_text
from seqgen.data.text.tokens import TokenBuilder, split_fractions, tail_split
from seqgen.data.vendored import vendored_dir

# Package data, with its licence and PROVENANCE.md alongside.
SHAKESPEARE_DIR = vendored_dir("shakespeare")
SHAKESPEARE_WORKS = (
    "sonnets_gut.txt", "romeo_and_juliet_gut.txt", "julius_caesar_gut.txt",
    "hamlet_gut.txt", "othello_gut.txt", "lear_gut.txt", "macbeth_gut.txt",
    "tempest_gut.txt")


class SeqgenShakespeare(TokenBuilder, skip_registration=True):
    """The vendored Shakespeare corpus as char ids, split 'full'; config = text hash."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Char ids of the joined works, 64 Ki ids a record."}


def shakespeare_text() -> str:
    """The vendored corpus: SHAKESPEARE_WORKS joined by blank lines."""
    missing = [w for w in SHAKESPEARE_WORKS if not (SHAKESPEARE_DIR / w).is_file()]
    if missing:
        raise DataError(f"shakespeare: {SHAKESPEARE_DIR / missing[0]} not found; the "
                        f"corpus ships as seqgen's package data (seqgen/third_party/shakespeare): "
                        f"reinstall seqgen (pip install -e . from a clone, or the "
                        f"wheel) or use dataset='text_file' with a path.")
    works = [(SHAKESPEARE_DIR / w).read_text(encoding="utf-8")
             for w in SHAKESPEARE_WORKS]
    return "\n\n\n\n".join(works) + "\n"


def load_shakespeare(data_config: Any) -> TextSplits:
    """The corpus's char ids, tail-split (see the module docstring)."""
    fractions = split_fractions(data_config, "shakespeare")  # before any work
    data = shakespeare_text().encode("utf-8")
    data_dir, _ = resolve_dirs(data_config)
    # The label predates the move into the package; kept so that prepared
    # datasets' recorded descriptions do not change.
    full, vocab = prepared_text(SeqgenShakespeare, data_dir, data, "char",
                                "third_party/shakespeare")
    return TextSplits(*tail_split(full, *fractions, "shakespeare"), vocab=vocab,
                      name="shakespeare")
