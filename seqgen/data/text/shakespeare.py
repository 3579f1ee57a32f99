"""Shakespeare: eight works (~1 MB of UTF-8) vendored in third_party/shakespeare.

Source: Project Gutenberg texts, listed with their sizes, sha256s and licence
in third_party/shakespeare/PROVENANCE.md. `shakespeare_text()` joins
SHAKESPEARE_WORKS in that order, separated by three blank lines, with a
final newline; drawn handwriting (seqgen/data/drawn.py) writes lines of the
same corpus. The files are found beside the package (third_party/ in the
repository), which an editable install (`pip install -e .`) provides; a
plain wheel install does not ship them. No network is ever used.

Vocabulary: the characters of the whole corpus (76). Split as text_file.py
does (data_config.valid_fraction and test_fraction, default 0.05 each: the
last 5% is test, the 5% before it valid); prepared once per content in a
config named after the corpus's sha256.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import tensorflow_datasets as tfds

from seqgen.data.prepare import resolve_dirs
from seqgen.data.text import DataError, TextSplits
from seqgen.data.text.text_file import prepared_text
from seqgen.data.text.tokens import TokenBuilder, split_fractions, tail_split

# Editable installs find the corpus beside the package; see PROVENANCE.md.
SHAKESPEARE_DIR = Path(__file__).resolve().parents[3] / "third_party" / "shakespeare"
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
                        f'corpus ships in the repository\'s third_party/shakespeare: '
                        f"install seqgen from a clone with pip install -e . or use "
                        f"dataset='text_file' with a path.")
    works = [(SHAKESPEARE_DIR / w).read_text(encoding="utf-8")
             for w in SHAKESPEARE_WORKS]
    return "\n\n\n\n".join(works) + "\n"


def load_shakespeare(data_config: Any) -> TextSplits:
    """The corpus's char ids, tail-split (see the module docstring)."""
    fractions = split_fractions(data_config, "shakespeare")  # before any work
    data = shakespeare_text().encode("utf-8")
    data_dir, _ = resolve_dirs(data_config)
    full, vocab = prepared_text(SeqgenShakespeare, data_dir, data, "char",
                                "third_party/shakespeare")
    return TextSplits(*tail_split(full, *fractions, "shakespeare"), vocab=vocab,
                      name="shakespeare")
