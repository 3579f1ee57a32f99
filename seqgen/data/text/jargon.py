"""The Jargon File's prose: modern computing vocabulary, vendored in seqgen/third_party/jargon.

The Jargon File 4.4.7 (public domain; Debian's dict-jargon) cleaned to
plain sentences by tools/vendor_jargon.py: 3,847 paragraphs, 984,189
characters, gzipped to 395 KB (package, checksums and cleaning rules in
seqgen/third_party/jargon/PROVENANCE.md). `jargon_text()` returns it with
a paragraph a line and blank lines between paragraphs, the shape
seqgen/data/drawn_texts.wrap_corpus cuts into drawn text lines (the mixed
texts of seqgen/data/drawn_mix.py). It is not a text dataset of its own.
No network is ever used.
"""
from __future__ import annotations

import functools
import gzip

from seqgen.data.text import DataError
from seqgen.data.vendored import vendored_dir

# Package data, with its public-domain statement and PROVENANCE.md alongside.
JARGON_DIR = vendored_dir("jargon")
JARGON_FILE = "jargon_sentences.txt.gz"


@functools.cache
def jargon_text() -> str:
    """The vendored sentences (ASCII), a paragraph a line (cached: ~0.1 s to read)."""
    path = JARGON_DIR / JARGON_FILE
    if not path.is_file():
        raise DataError(f"jargon: {path} not found; the corpus ships as seqgen's package "
                        f"data (seqgen/third_party/jargon): reinstall seqgen (pip install "
                        f"-e . from a clone, or the wheel).")
    return gzip.decompress(path.read_bytes()).decode("ascii")
