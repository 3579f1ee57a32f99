"""Token-id streams stored as TFDS datasets, and the helpers every corpus shares.

A corpus module gives a `TokenBuilder` subclass (its TFDS name and VERSION)
and a function that locates and verifies its inputs, returning a `Source`
(the vocabulary and each split as a stream of id chunks). `load_prepared`
reads the prepared dataset, preparing it first from the source on first use.
Splits are written in order as records of RECORD_TOKENS ids (array_record
files, read back without TensorFlow) and read back into one preallocated
array each.

Prepared data lives in <data_dir>/seqgen_<name>/<config>/<version>/. A
builder VERSION changes whenever preparation changes; a `HashConfig` is named
after the sha256 of its text, so an edited file is prepared anew rather than
read stale. Sources are verified (published sha256 where one
exists, else size and structure) and the sha256 of every input is recorded
in the dataset metadata. A failed preparation leaves no partial files behind
(seqgen/data/prepare.py). With several processes sharing a data_dir, prepare
once before the launch (call load_text in one process), since concurrent
preparations of the same dataset race.

Also here: fetching a missing archive (`fetch`, via `download`, which tests
replace to simulate being offline), UTF-8 decoding with a one-line error, and
the contiguous tail split of single-stream corpora (`split_fractions`,
`tail_split`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data.prepare import config_get, prepare
from seqgen.data.text import DataError
from seqgen.data.vocab import Vocab

# Token ids per array_record record; a split is the concatenation of its records.
RECORD_TOKENS = 1 << 16

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------
# The TFDS builder base: each subclass gets a ready `Source` and writes its
# splits in records.
# ----------------------------------------------------------------------------

@dataclasses.dataclass
class Source:
    vocab: Vocab
    splits: dict[str, Callable[[], Iterator[np.ndarray]]]  # name -> id chunks
    metadata: dict[str, Any]  # provenance: input files and their sha256


class TokenBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Stores token-id streams in order, RECORD_TOKENS ids a record."""

    # Registration is skipped so that re-importing a corpus module cannot
    # clash; read a prepared dataset elsewhere with tfds.builder_from_directory.
    # The TFDS name comes from the subclass's name (SeqgenEnwik8 ->
    # seqgen_enwik8): renaming a subclass orphans its prepared data.
    VERSION = tfds.core.Version("1.0.0")
    TOKEN_DTYPE: type = np.uint16
    source: Source | None = None

    def _info(self) -> tfds.core.DatasetInfo:
        feature = tfds.features.Tensor(shape=(None,), dtype=self.TOKEN_DTYPE,
                                       encoding=tfds.features.Encoding.BYTES)
        return tfds.core.DatasetInfo(
            builder=self, description=self.__doc__,
            features=tfds.features.FeaturesDict({"tokens": feature}),
            disable_shuffling=True, metadata=tfds.core.MetadataDict())

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator]:
        del dl_manager  # sources are located and verified before preparation
        assert self.source is not None, "set builder.source before preparing"
        self.info.metadata.update(vocab=self.source.vocab.to_dict(), num_tokens={},
                                  **self.source.metadata)
        return {name: self._generate_examples(name, chunks)
                for name, chunks in self.source.splits.items()}

    def _generate_examples(self, name: str, chunks: Callable[[], Iterator[np.ndarray]]):
        total = 0
        for i, ids in enumerate(records(chunks())):
            total += ids.size
            yield i, {"tokens": ids.astype(self.TOKEN_DTYPE, copy=False)}
        # Written with the dataset info after all splits are generated.
        self.info.metadata["num_tokens"][name] = total


class HashConfig(tfds.core.BuilderConfig):
    """A config named after its content; expected to be 'custom' to TFDS."""


class _QuietCustomConfig(logging.Filter):
    """Drops TFDS's warning that a content-named config is not predeclared."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == "Using custom data configuration: %s"
                    and isinstance(record.args, tuple) and record.args
                    and isinstance(record.args[0], HashConfig))


logging.getLogger("absl").addFilter(_QuietCustomConfig())


def records(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Regroups id chunks of any size into records of RECORD_TOKENS ids."""
    pending: list[np.ndarray] = []  # less than one record, carried over
    size = 0
    for chunk in chunks:
        start = 0
        if pending:
            start = RECORD_TOKENS - size
            pending.append(chunk[:start])
            size += pending[-1].size
            if size < RECORD_TOKENS:
                continue
            yield np.concatenate(pending)
            pending, size = [], 0
        # Slices of the chunk itself: no copy of what is still to come.
        while chunk.size - start >= RECORD_TOKENS:
            yield chunk[start:start + RECORD_TOKENS]
            start += RECORD_TOKENS
        if start < chunk.size:
            pending, size = [chunk[start:]], chunk.size - start
    if size:
        yield np.concatenate(pending)


def chunks_of(ids: np.ndarray) -> Callable[[], Iterator[np.ndarray]]:
    """A split held in memory, as the chunk stream a Source expects."""
    return lambda: iter([ids])


def load_prepared(cls: type[TokenBuilder], data_dir: Path, config: Any,
                  locate: Callable[[], Source],
                  ) -> tuple[dict[str, np.ndarray], Vocab]:
    """Reads a prepared dataset, preparing it first from `locate()` if needed."""
    builder = cls(data_dir=os.fspath(data_dir), config=config,
                  file_format="array_record")
    # builder.is_prepared() would log a warning for every dataset not yet prepared.
    if not (Path(builder.data_dir) / "dataset_info.json").is_file():
        log.info("Preparing %s in %s (first use).", builder.name, data_dir)
        prepare(builder, locate())
        builder = cls(data_dir=os.fspath(data_dir), config=config,
                      file_format="array_record")
    meta = builder.info.metadata
    vocab = Vocab.from_dict(meta["vocab"])
    arrays = {}
    for split, total in meta["num_tokens"].items():
        # One preallocated array: never a second copy of a large corpus.
        out = np.empty(total, dtype=cls.TOKEN_DTYPE)
        pos = 0
        try:
            shards = builder.as_data_source(split)
            for i in range(len(shards)):
                ids = shards[i]["tokens"]
                out[pos:pos + ids.size] = ids
                pos += ids.size
        except Exception as err:  # noqa: BLE001  (array_record, TFDS, OS errors)
            raise DataError(f"{builder.data_dir}: the prepared {split!r} shards cannot be "
                            f"read ({one_line(err)}); delete that directory to prepare "
                            f"it again (the sources are kept).") from None
        if pos != total:
            raise DataError(f"{builder.data_dir}: split {split!r} holds {pos} tokens, "
                            f"the metadata says {total}; delete that directory to "
                            f"prepare it again.")
        arrays[split] = out
    return arrays, vocab


# ----------------------------------------------------------------------------
# Fetching and checking sources.
# ----------------------------------------------------------------------------

def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def one_line(err: BaseException) -> str:
    """An exception's message on one line, for a DataError that quotes it."""
    return " ".join(str(err).split()) or type(err).__name__


def download(url: str, dest: Path) -> None:
    """Fetches `url` into `dest`; tests replace it to simulate being offline."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as f:
        shutil.copyfileobj(response, f, 1 << 20)


def fetch(name: str, url: str, dest: Path, alternative: str = "") -> None:
    """Downloads a missing archive to `dest` (via a .part file), or explains."""
    created = [p for p in (dest.parent, *dest.parent.parents) if not p.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    log.info("%s: downloading %s to %s", name, url, dest)
    try:
        download(url, part)
    except Exception as err:  # any failure: offline, refused, disk full
        part.unlink(missing_ok=True)
        for path in created:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        raise DataError(f"{name}: {dest} is missing and downloading {url} failed "
                        f"({one_line(err)}); download it by hand and put it at "
                        f"{dest}{alternative}.") from None
    part.rename(dest)


def decode_utf8(data: bytes, where: str, fix: str) -> str:
    """UTF-8 text, or a DataError naming `where`, the byte offset and `fix`."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{where}: not UTF-8 at byte offset {err.start} "
                        f"(byte 0x{data[err.start]:02x}): {fix}.") from None


# ----------------------------------------------------------------------------
# The tail split of a corpus that is one stream (shakespeare, text_file).
# ----------------------------------------------------------------------------

def split_fractions(data_config: Any, name: str) -> tuple[float, float]:
    """(valid_fraction, test_fraction) of data_config, checked (default 0.05 each)."""
    valid = float(config_get(data_config, "valid_fraction", 0.05))
    test = float(config_get(data_config, "test_fraction", 0.05))
    if not (valid >= 0 and test >= 0 and valid + test < 1):
        raise DataError(f"{name}: valid_fraction={valid} and test_fraction={test} "
                        f"must be >= 0 with a sum below 1 (e.g. 0.05 and 0.05).")
    return valid, test


def tail_split(tokens: np.ndarray, valid_fraction: float, test_fraction: float,
               name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous (train, valid, test): the last test_fraction of the tokens is
    test, the valid_fraction before it valid, the rest train."""
    n = tokens.size
    n_test = round(n * test_fraction)
    n_valid = round(n * valid_fraction)
    n_train = n - n_valid - n_test
    if n_train < 2:
        raise DataError(f"{name}: the train split would get {n_train} of {n} tokens; "
                        f"lower valid_fraction and test_fraction.")
    for split, size, fraction in (("valid", n_valid, valid_fraction),
                                  ("test", n_test, test_fraction)):
        if fraction > 0 and size < 2:
            raise DataError(f"{name}: the {split} split would get {size} of {n} "
                            f"tokens; use a larger file or a larger {split}_fraction.")
    end_valid = n_train + n_valid
    return tokens[:n_train], tokens[n_train:end_valid], tokens[end_valid:]
