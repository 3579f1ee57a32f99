"""enwik8: the first 1e8 bytes of the English Wikipedia dump of 2006-03-03, as byte ids.

Source: ENWIK8_URL (Matt Mahoney's Hutter Prize page), enwik8.zip holding one
member 'enwik8'. It is looked for as <manual_dir>/enwik8.zip and downloaded
there when missing and the network allows. The zip, the member's size and
its content are checked against the published sha256s.

Vocabulary: byte level, the byte values that occur in the file (205).
Prepared once (tokens.py) as one split 'full' of byte ids, then cut:

data_config.split:
  'standard' (default): bytes [0, 90M) train, [90M, 95M) valid, [95M, 100M) test.
  'graves' (Graves 2013): [0, 96M) train and [96M, 100M) valid; there is no
             separate test set, so `test` is the same last 4M as `valid`.
"""
from __future__ import annotations

import hashlib
import logging
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data.prepare import config_get, resolve_dirs, sha256_file
from seqgen.data.text import DataError, TextSplits, tokens
from seqgen.data.text.tokens import Source, TokenBuilder, fetch, load_prepared, one_line
from seqgen.data.vocab import Vocab

# Published checksums (Hugging Face datasets' enwik8 dataset_infos.json and
# several independent download scripts agree): the zip and its one member.
ENWIK8_URL = "http://mattmahoney.net/dc/enwik8.zip"
ENWIK8_ZIP_SHA256 = "547994d9980ebed1288380d652999f38a14fe291a6247c157c3d33d4932534bc"
ENWIK8_BYTES = 100_000_000
ENWIK8_SHA256 = "2b49720ec4d78c3c9fabaee6e4179a5e997302b3a70029f30f2d582218c024a8"
SPLITS = ("standard", "graves")

log = logging.getLogger(__name__)


class SeqgenEnwik8(TokenBuilder, skip_registration=True):
    """enwik8 as byte ids (vocabulary: the byte values that occur), split 'full'."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Whole file as one split of byte ids, 64 Ki a record."}
    TOKEN_DTYPE = np.uint8


def load_enwik8(data_config: Any) -> TextSplits:
    """enwik8's splits of data_config.split (see the module docstring)."""
    split = config_get(data_config, "split", "") or "standard"
    if split not in SPLITS:
        raise DataError(f"data_config.split={split!r} for enwik8: use 'standard' "
                        f"(90M/5M/5M) or 'graves' (96M/4M).")
    data_dir, manual_dir = resolve_dirs(data_config)
    arrays, vocab = load_prepared(SeqgenEnwik8, data_dir, None,
                                  lambda: _source(manual_dir))
    full = arrays["full"]
    n = full.size
    if split == "standard":
        a, b = n * 90 // 100, n * 95 // 100
        train, valid, test = full[:a], full[a:b], full[b:]
    else:
        log.info("enwik8 split graves: test is the validation set (last 4%).")
        a = n * 96 // 100
        train, valid, test = full[:a], full[a:], full[a:]
    return TextSplits(train, valid, test, vocab, name="enwik8")


def _source(manual_dir: Path) -> Source:
    """The verified zip: its vocabulary (pass 1) and a stream of its ids (pass 2)."""
    path = manual_dir / "enwik8.zip"
    downloaded = not path.exists()
    if downloaded:
        fetch("enwik8", ENWIK8_URL, path)
        sha = sha256_file(path)
        if ENWIK8_ZIP_SHA256 and sha != ENWIK8_ZIP_SHA256:
            path.unlink()
            raise DataError(f"enwik8: the download of {ENWIK8_URL} has sha256 {sha}, "
                            f"expected {ENWIK8_ZIP_SHA256}; try again or put the real "
                            f"enwik8.zip at {path}.")
    fix = f"delete {path} and download {ENWIK8_URL} again to that path"
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("enwik8")
            if info.file_size != ENWIK8_BYTES:
                raise DataError(f"enwik8: {path} holds an enwik8 of {info.file_size} "
                                f"bytes, expected {ENWIK8_BYTES}: {fix}.")
            # Pass 1: count the byte values (the vocabulary) and hash the
            # content; streaming, so memory stays at one block.
            counts = np.zeros(256, dtype=np.int64)
            h = hashlib.sha256()
            with zf.open(info) as f:
                while block := f.read(1 << 20):
                    h.update(block)
                    counts += np.bincount(np.frombuffer(block, np.uint8), minlength=256)
    except KeyError:
        raise DataError(f"enwik8: {path} has no member named enwik8: {fix}.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        raise DataError(f"enwik8: {path} is truncated or corrupt ({one_line(err)}): "
                        f"{fix}.") from None
    if ENWIK8_SHA256 and h.hexdigest() != ENWIK8_SHA256:
        raise DataError(f"enwik8: the enwik8 in {path} has sha256 {h.hexdigest()}, "
                        f"expected {ENWIK8_SHA256}: {fix}.")
    vocab = Vocab("byte", np.flatnonzero(counts).tolist())
    lut = np.zeros(256, dtype=np.uint8)
    lut[list(vocab.tokens)] = np.arange(vocab.size, dtype=np.uint8)

    def chunks() -> Iterator[np.ndarray]:  # pass 2: byte values -> ids
        with zipfile.ZipFile(path) as zf, zf.open("enwik8") as f:
            while block := f.read(tokens.RECORD_TOKENS):
                yield lut[np.frombuffer(block, np.uint8)]

    return Source(vocab, {"full": chunks}, {
        "source": ENWIK8_URL, "input_file": "enwik8.zip:enwik8",
        "input_sha256": h.hexdigest(), "archive_sha256": sha256_file(path)})
