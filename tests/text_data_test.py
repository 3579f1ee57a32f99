"""Text loaders on small fixtures in the real formats, made in tmp_path.

Token ids are checked against independent computations on the fixture
(Python's bytes, str.split, the words the fixture was made from).
"""
import hashlib
import io
import itertools
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import ml_collections
import numpy as np
import pytest

from seqgen.command.errors import ConfigError
from seqgen.data.text import DATASETS, DataError, TextSplits, load_text, ptb, shakespeare, tokens
from seqgen.data.text import enwik8 as enwik8_module
from seqgen.data.vocab import Vocab


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_config(tmp_path, **fields):
    base = dict(dataset="shakespeare", path="", data_dir=str(tmp_path / "tfds"),
                manual_dir=str(tmp_path / "manual"), split="standard",
                valid_fraction=0.05, test_fraction=0.05)
    return ml_collections.ConfigDict({**base, **fields})


def decode_ids(vocab, ids):
    return [vocab.tokens[i] for i in ids.tolist()]


@pytest.fixture(autouse=True)
def small_records(monkeypatch):
    # Many small records, so that their order on disk is exercised.
    monkeypatch.setattr(tokens, "RECORD_TOKENS", 1000)


def no_incomplete_files(root: Path) -> bool:
    return not [p for p in root.rglob("*")
                if "incomplete" in p.name or p.suffix == ".part"]


def test_records_regroup_any_chunking_in_order():
    rng = np.random.default_rng(0)
    ids = np.arange(10_500, dtype=np.uint16)
    cuts = np.sort(rng.choice(np.arange(1, ids.size), 40, replace=False))
    chunks = [ids[:0], *np.split(ids, cuts), ids[:0]]
    records = list(tokens.records(iter(chunks)))
    assert [r.size for r in records] == [1000] * 10 + [500]
    np.testing.assert_array_equal(np.concatenate(records), ids)


# ---------------------------------------------------------------- shakespeare

def provenance_table():
    rows = re.findall(r"^\| (\S+\.txt) \| ([\d,]+) \| ([0-9a-f]{64}) \|$",
                      (shakespeare.SHAKESPEARE_DIR / "PROVENANCE.md").read_text(), re.M)
    return [(name, int(size.replace(",", "")), digest) for name, size, digest in rows]


def test_vendored_corpus_matches_its_provenance():
    table = provenance_table()
    assert [name for name, _, _ in table] == list(shakespeare.SHAKESPEARE_WORKS)
    for name, size, digest in table:
        data = (shakespeare.SHAKESPEARE_DIR / name).read_bytes()
        assert (len(data), sha256(data)) == (size, digest), name
    assert (shakespeare.SHAKESPEARE_DIR / "LICENSE").is_file()


def test_shakespeare_loads_char_ids_with_a_tail_split(tmp_path):
    works = [(shakespeare.SHAKESPEARE_DIR / name).read_text()
             for name, _, _ in provenance_table()]
    corpus = "\n\n\n\n".join(works) + "\n"
    config = make_config(tmp_path)
    splits = load_text(config)
    assert splits.name == "shakespeare"
    alphabet = sorted(set(corpus))
    assert splits.vocab.level == "char" and list(splits.vocab.tokens) == alphabet
    assert splits.train.dtype == np.uint8
    ids = np.concatenate([splits.train, splits.valid, splits.test])
    assert "".join(decode_ids(splits.vocab, ids)) == corpus
    n = len(corpus)
    assert splits.test.size == round(0.05 * n) and splits.valid.size == round(0.05 * n)
    start = time.perf_counter()
    again = load_text(config)  # prepared: only read back
    assert time.perf_counter() - start < 2.0
    np.testing.assert_array_equal(again.train, splits.train)


# ---------------------------------------------------------- a plugin dataset

TOY_TEXT = "a toy corpus, registered by a test module, never written to disk\n" * 20


@DATASETS.register("toy")
def load_toy(data_config) -> TextSplits:
    """An in-memory corpus: what a user's module adds without editing seqgen/."""
    vocab = Vocab.from_text(TOY_TEXT, "char")
    ids = vocab.encode(TOY_TEXT)  # int32: load_text narrows the dtype
    n = int(len(ids) * data_config.get("train_share", 0.8))
    return TextSplits(ids[:n], ids[n:], ids[n:], vocab, name="whatever the loader says")


def test_a_dataset_registered_outside_seqgen_loads_through_load_text(tmp_path):
    splits = load_text(make_config(tmp_path, dataset="toy", train_share=0.75))
    assert splits.name == "toy"  # the registered name, not the loader's
    assert "".join(splits.vocab.decode(np.concatenate([splits.train, splits.valid])))\
        == TOY_TEXT
    assert splits.train.size == int(len(TOY_TEXT) * 0.75)
    # The same conventions as the builtins: narrowest dtype, read-only.
    assert splits.train.dtype == np.uint8 and not splits.valid.flags.writeable
    assert not (tmp_path / "tfds").exists()  # nothing prepared, no TFDS
    assert "toy" in DATASETS and DATASETS.names()[:5] == (
        "shakespeare", "enwik8", "ptb_char", "ptb_word", "text_file")
    with pytest.raises(ValueError, match="already registered"):
        DATASETS.register("toy")(load_toy)


def test_naming_a_builtin_imports_only_its_module():
    assert DATASETS.get("enwik8") is enwik8_module.load_enwik8
    assert DATASETS.get("ptb_char") is ptb.load_ptb_char
    code = ("import sys; from seqgen.data.text import DATASETS; "
            "ours = lambda: sorted(m for m in sys.modules if m.startswith('seqgen.data.text.')); "
            "print(ours()); DATASETS.get('ptb_word'); print(ours())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[1]).stdout.splitlines()
    assert out == ["[]", "['seqgen.data.text.ptb', 'seqgen.data.text.tokens']"]


# ------------------------------------------------------------------ text_file

def test_text_file_char_level(tmp_path):
    body = "Ünïcödé lines\nand € signs\n" * 300
    path = tmp_path / "book.txt"
    path.write_text(body, encoding="utf-8")
    splits = load_text(make_config(tmp_path, dataset="text_file", path=str(path),
                                   valid_fraction=0.1, test_fraction=0.2))
    ids = np.concatenate([splits.train, splits.valid, splits.test])
    assert "".join(decode_ids(splits.vocab, ids)) == body
    assert splits.test.size == round(0.2 * len(body))
    assert splits.valid.size == round(0.1 * len(body))
    assert splits.name == "text_file"


def test_text_file_changed_content_is_prepared_again(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("abcabc" * 100)
    first = load_text(make_config(tmp_path, dataset="text_file", path=str(path)))
    path.write_text("xyzxyz" * 100)
    second = load_text(make_config(tmp_path, dataset="text_file", path=str(path)))
    assert first.vocab.tokens == ("a", "b", "c")
    assert second.vocab.tokens == ("x", "y", "z")


def test_text_file_not_utf8_names_file_and_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    data = b"plain start, then " + "café".encode("latin-1")
    path.write_bytes(data)
    config = make_config(tmp_path, dataset="text_file", path=str(path),
                         valid_fraction=0.25, test_fraction=0.25)
    with pytest.raises(DataError) as err:
        load_text(config)
    message = str(err.value)
    assert str(path) in message and f"offset {data.index(0xE9)}" in message
    assert "UTF-8" in message and "\n" not in message
    assert not (tmp_path / "tfds" / "seqgen_text_file").exists()
    # The byte level reads it.
    config = ml_collections.ConfigDict({**config.to_dict(), "level": "byte"})
    splits = load_text(config)
    ids = np.concatenate([splits.train, splits.valid, splits.test])
    assert bytes(decode_ids(splits.vocab, ids)) == data


def test_text_file_empty_or_missing(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=f"{empty}.*empty"):
        load_text(make_config(tmp_path, dataset="text_file", path=str(empty)))
    with pytest.raises(DataError, match="does not exist"):
        load_text(make_config(tmp_path, dataset="text_file", path=str(tmp_path / "no")))
    with pytest.raises(DataError, match="needs data_config.path"):
        load_text(make_config(tmp_path, dataset="text_file"))


def test_bad_settings(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_text(make_config(tmp_path, dataset="imagenet"))
    assert str(err.value) == ("config.data.dataset='imagenet' is not a text dataset; use one "
                              "of shakespeare, enwik8, ptb_char, ptb_word, text_file, toy")
    with pytest.raises(DataError, match="valid_fraction"):
        load_text(make_config(tmp_path, valid_fraction=0.6, test_fraction=0.5))
    with pytest.raises(DataError, match="test split would get 0"):
        load_text(make_config(tmp_path, test_fraction=1e-9))
    path = tmp_path / "tiny.txt"
    path.write_text("abc")
    with pytest.raises(DataError, match="train split would get 1 of 3"):
        load_text(make_config(tmp_path, dataset="text_file", path=str(path),
                              valid_fraction=0.3, test_fraction=0.3))
    with pytest.raises(DataError, match="split='random'"):
        load_text(make_config(tmp_path, dataset="enwik8", split="random"))


def test_failed_preparation_leaves_nothing_and_keeps_prepared_data(tmp_path,
                                                                   monkeypatch):
    config = make_config(tmp_path)
    before = load_text(config)  # prepared shakespeare must survive
    path = tmp_path / "big.txt"
    path.write_text("0123456789\n" * 1000)
    real_records = tokens.records

    def failing_records(chunks):
        yield from itertools.islice(real_records(chunks), 3)
        raise OSError("disk full")

    monkeypatch.setattr(tokens, "records", failing_records)
    with pytest.raises(OSError, match="disk full"):
        load_text(make_config(tmp_path, dataset="text_file", path=str(path)))
    data_dir = tmp_path / "tfds"
    assert no_incomplete_files(data_dir)
    assert not (data_dir / "seqgen_text_file").exists()
    monkeypatch.setattr(tokens, "records", real_records)
    np.testing.assert_array_equal(load_text(config).train, before.train)


# --------------------------------------------------------------------- enwik8

def enwik8_content(size=20_000) -> bytes:
    rng = np.random.default_rng(0)
    words = ["<page>", "the", "Wikipedia", "Zürich", "東京", "&amp;", "[[link]]", "\n"]
    data = " ".join(rng.choice(words, size)).encode("utf-8")[:size]
    return data


def write_zip(path: Path, member: str, data: bytes,
              method=zipfile.ZIP_DEFLATED) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr(member, data)
    return path.read_bytes()


@pytest.fixture
def enwik8(tmp_path, monkeypatch):
    """A small enwik8.zip in manual_dir, with the module's checks set to it."""
    data = enwik8_content()
    archive = write_zip(tmp_path / "manual" / "enwik8.zip", "enwik8", data)
    monkeypatch.setattr(enwik8_module, "ENWIK8_BYTES", len(data))
    monkeypatch.setattr(enwik8_module, "ENWIK8_SHA256", sha256(data))
    monkeypatch.setattr(enwik8_module, "ENWIK8_ZIP_SHA256", sha256(archive))
    return data


def test_enwik8_standard_split_is_byte_ids(tmp_path, enwik8):
    splits = load_text(make_config(tmp_path, dataset="enwik8"))
    values = sorted(set(enwik8))
    assert splits.vocab.level == "byte" and list(splits.vocab.tokens) == values
    assert splits.train.dtype == np.uint8
    n = len(enwik8)
    assert (splits.train.size, splits.valid.size, splits.test.size) == (
        n * 90 // 100, n * 5 // 100, n * 5 // 100)
    ids = np.concatenate([splits.train, splits.valid, splits.test])
    assert bytes(decode_ids(splits.vocab, ids)) == enwik8
    meta_file = next((tmp_path / "tfds" / "seqgen_enwik8").rglob("metadata.json"))
    assert sha256(enwik8) in meta_file.read_text()


def test_enwik8_graves_split_reuses_valid_as_test(tmp_path, enwik8):
    splits = load_text(make_config(tmp_path, dataset="enwik8", split="graves"))
    n = len(enwik8)
    assert splits.train.size == n * 96 // 100 and splits.valid.size == n - n * 96 // 100
    np.testing.assert_array_equal(splits.test, splits.valid)
    assert bytes(decode_ids(splits.vocab, splits.valid)) == enwik8[n * 96 // 100:]


def test_enwik8_wrong_size(tmp_path, enwik8, monkeypatch):
    monkeypatch.setattr(enwik8_module, "ENWIK8_BYTES", len(enwik8) + 1)
    with pytest.raises(DataError) as err:
        load_text(make_config(tmp_path, dataset="enwik8"))
    message = str(err.value)
    assert str(tmp_path / "manual" / "enwik8.zip") in message and "delete" in message
    assert f"{len(enwik8)} bytes" in message and "\n" not in message


def test_enwik8_truncated_zip(tmp_path, enwik8):
    path = tmp_path / "manual" / "enwik8.zip"
    archive = path.read_bytes()
    path.write_bytes(archive[:len(archive) // 2])
    with pytest.raises(DataError, match="truncated or corrupt.*delete"):
        load_text(make_config(tmp_path, dataset="enwik8"))
    assert not (tmp_path / "tfds").exists()


def test_enwik8_corrupt_member_fails_its_crc(tmp_path, enwik8):
    path = tmp_path / "manual" / "enwik8.zip"
    raw = bytearray(write_zip(path, "enwik8", enwik8, zipfile.ZIP_STORED))
    raw[raw.index(enwik8[:50]) + 10] ^= 0xFF  # one byte of the stored content
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=f"{path}.*corrupt"):
        load_text(make_config(tmp_path, dataset="enwik8"))


def test_enwik8_offline_names_url_and_path(tmp_path, enwik8, monkeypatch):
    (tmp_path / "manual" / "enwik8.zip").unlink()

    def offline(url, dest):
        Path(dest).write_bytes(b"partial")
        raise OSError("Network is unreachable")

    monkeypatch.setattr(tokens, "download", offline)
    with pytest.raises(DataError) as err:
        load_text(make_config(tmp_path, dataset="enwik8"))
    message = str(err.value)
    assert enwik8_module.ENWIK8_URL in message
    assert str(tmp_path / "manual" / "enwik8.zip") in message
    assert "Network is unreachable" in message
    assert no_incomplete_files(tmp_path)
    assert not (tmp_path / "tfds").exists()


def test_enwik8_download(tmp_path, enwik8, monkeypatch):
    zip_path = tmp_path / "manual" / "enwik8.zip"
    archive = zip_path.read_bytes()
    zip_path.unlink()
    monkeypatch.setattr(tokens, "download",
                        lambda url, dest: Path(dest).write_bytes(archive))
    splits = load_text(make_config(tmp_path, dataset="enwik8", manual_dir=""))
    assert splits.train.size == len(enwik8) * 90 // 100
    default_manual = tmp_path / "tfds" / "downloads" / "manual"
    assert (default_manual / "enwik8.zip").read_bytes() == archive

    # A download that is not the published file is deleted, not kept.
    monkeypatch.setattr(tokens, "download",
                        lambda url, dest: Path(dest).write_bytes(b"junk"))
    with pytest.raises(DataError, match="sha256"):
        load_text(make_config(tmp_path / "other", dataset="enwik8"))
    assert not (tmp_path / "other" / "manual" / "enwik8.zip").exists()


# ------------------------------------------------------------------------ PTB

PTB_LINES = {
    "train": ["the cat sat on the mat", "a <unk> sat N times", "the dog ran",
              "cats and dogs", "on and on"] * 30,
    "valid": ["the cat ran", "a dog sat on N mats"],  # 'mats' is not in train
    "test": ["the <unk> and the cat"],
}


def ptb_files() -> dict[str, bytes]:
    files = {}
    for split, lines in PTB_LINES.items():
        # Mikolov's layout: a space before and after each line.
        files[f"ptb.{split}.txt"] = "".join(f" {line} \n" for line in lines).encode()
        chars = [" ".join("_".join(line.split())) for line in lines]
        files[f"ptb.char.{split}.txt"] = "".join(f" {c} \n" for c in chars).encode()
    return files


@pytest.fixture
def ptb_checksums(monkeypatch):
    files = ptb_files()
    monkeypatch.setattr(ptb, "PTB_SHA256", {n: sha256(d) for n, d in files.items()
                                             if "char" not in n})
    return files


def write_ptb(tmp_path, layout):
    files = ptb_files()
    manual = tmp_path / "manual"
    if layout == "flat":
        folder = manual
    elif layout == "unpacked":
        folder = manual / "simple-examples" / "data"
    else:
        manual.mkdir(parents=True)
        with tarfile.open(manual / "simple-examples.tgz", "w:gz") as tar:
            members = {"./simple-examples/1-train/README": b"other files",
                       # Not in split order, as in a real archive.
                       **{f"./simple-examples/data/{n}": d
                          for n, d in sorted(files.items(), reverse=True)}}
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("layout", ["flat", "unpacked", "tgz"])
def test_ptb_word(tmp_path, layout, ptb_checksums):
    write_ptb(tmp_path, layout)
    splits = load_text(make_config(tmp_path, dataset="ptb_word"))
    vocab = splits.vocab
    assert vocab.level == "word" and splits.train.dtype == np.uint8
    train_words = {w for line in PTB_LINES["train"] for w in line.split()}
    assert set(vocab.tokens) == train_words | {"<eos>"}
    for split in ("train", "valid", "test"):
        expected = [w if w in train_words | {"<eos>"} else "<unk>"
                    for line in PTB_LINES[split] for w in line.split() + ["<eos>"]]
        assert decode_ids(vocab, getattr(splits, split)) == expected


@pytest.mark.parametrize("layout", ["flat", "tgz"])
def test_ptb_char(tmp_path, layout, ptb_checksums):
    write_ptb(tmp_path, layout)
    splits = load_text(make_config(tmp_path, dataset="ptb_char"))
    assert splits.vocab.level == "char"
    for split in ("train", "valid", "test"):
        expected = "".join(line + "\n" for line in PTB_LINES[split])
        assert "".join(decode_ids(splits.vocab, getattr(splits, split))) == expected
    assert set(splits.vocab.tokens) == set("".join(PTB_LINES["train"])) | {"\n"}


def test_ptb_checksum_mismatch_names_the_file(tmp_path, ptb_checksums, monkeypatch):
    write_ptb(tmp_path, "flat")
    monkeypatch.setitem(ptb.PTB_SHA256, "ptb.valid.txt", "0" * 64)
    with pytest.raises(DataError, match=r"ptb\.valid\.txt.*sha256"):
        load_text(make_config(tmp_path, dataset="ptb_word"))


def test_ptb_truncated_tgz(tmp_path, ptb_checksums):
    write_ptb(tmp_path, "tgz")
    tgz = tmp_path / "manual" / "simple-examples.tgz"
    tgz.write_bytes(tgz.read_bytes()[:200])
    with pytest.raises(DataError,
                       match=f"{tgz}.*(truncated|not simple-examples).*delete"):
        load_text(make_config(tmp_path, dataset="ptb_word"))
    assert tgz.exists()  # the user's file: reported, not deleted


def test_ptb_offline_names_url_and_path(tmp_path, monkeypatch):
    def offline(url, dest):
        raise OSError("Name or service not known")

    monkeypatch.setattr(tokens, "download", offline)
    with pytest.raises(DataError) as err:
        load_text(make_config(tmp_path, dataset="ptb_char"))
    assert ptb.PTB_URL in str(err.value)
    assert str(tmp_path / "manual" / "simple-examples.tgz") in str(err.value)


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_corrupted_prepared_shard_names_the_folder_and_keeps_the_source(tmp_path, damage):
    path = tmp_path / "notes.txt"
    path.write_text("to be or not to be, that is the question\n" * 200)
    config = make_config(tmp_path, dataset="text_file", path=str(path))
    good = load_text(config)
    shards = sorted((tmp_path / "tfds").rglob("*.array_record*"))
    assert shards
    for shard in shards:
        data = shard.read_bytes()
        shard.write_bytes(data[: len(data) // 3] if damage == "truncate"
                          else data[:64] + bytes(b ^ 0x5A for b in data[64:]))
    with pytest.raises(DataError) as err:
        load_text(config)
    message = str(err.value)
    assert "\n" not in message and "delete that directory to prepare it again" in message
    folder = message.split(":")[0]
    assert Path(folder).is_dir() and shards[0].is_relative_to(folder)
    assert path.exists()
    shutil.rmtree(folder)  # as the message says: prepared again, same tokens
    again = load_text(config)
    np.testing.assert_array_equal(again.train, good.train)
