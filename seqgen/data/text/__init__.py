"""Text corpora as token-id streams: the one call from a data config to ids.

`load_text(data_config)` returns `TextSplits` (train/valid/test id arrays and
the `Vocab`) of the corpus that `data_config.dataset` names, found in the
registry `DATASETS` (seqgen/data/registry.py). The builtins, one module each
(its docstring says the format, source and split):

  shakespeare  shakespeare.py  ~1 MB of Shakespeare vendored in
                               seqgen/third_party/shakespeare (the default; no network)
  enwik8       enwik8.py       the first 1e8 bytes of an English Wikipedia dump
  ptb_char     ptb.py          Mikolov's Penn Treebank, characters
  ptb_word     ptb.py          Mikolov's Penn Treebank, words
  text_file    text_file.py    any file the user names

A plugin corpus is a loader `data_config -> TextSplits` registered with
`@DATASETS.register("name")` from any module imported before loading.

data_config fields common to all (others are the corpus module's):
  dataset:    a name in DATASETS ('shakespeare' when absent).
  data_dir:   TFDS data dir; '' means $SEQGEN_DATA_DIR, else ~/tensorflow_datasets.
  manual_dir: where downloaded archives live; '' means <data_dir>/downloads/manual.

Whatever the loader returns, `load_text` hands out id arrays of the smallest
unsigned dtype that fits the vocabulary (uint8 for all builtins but
ptb_word), read-only (splits may share memory), named after the dataset.
The builtins prepare their corpus once as a TFDS dataset (tokens.py) and
later only read it back.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from seqgen.command.errors import UserError
from seqgen.data.prepare import config_get
from seqgen.data.registry import Registry
from seqgen.data.vocab import Vocab

DATASETS = Registry("text", {
    "shakespeare": "seqgen.data.text.shakespeare:load_shakespeare",
    "enwik8": "seqgen.data.text.enwik8:load_enwik8",
    "ptb_char": "seqgen.data.text.ptb:load_ptb_char",
    "ptb_word": "seqgen.data.text.ptb:load_ptb_word",
    "text_file": "seqgen.data.text.text_file:load_text_file",
})


class DataError(UserError):
    """One-line message naming the file or setting and the fix."""


@dataclasses.dataclass(frozen=True)
class TextSplits:
    train: np.ndarray  # 1-D token ids, smallest unsigned dtype that fits the vocab
    valid: np.ndarray
    test: np.ndarray
    vocab: Vocab
    name: str  # e.g. 'shakespeare', 'enwik8'


def load_text(data_config: Any) -> TextSplits:
    """Token-id splits and vocabulary of the corpus that `data_config` names."""
    name = config_get(data_config, "dataset", "shakespeare")
    splits = DATASETS.get(name)(data_config)
    vocab = splits.vocab
    return TextSplits(*(_smallest_dtype(ids, vocab.size)
                        for ids in (splits.train, splits.valid, splits.test)),
                      vocab=vocab, name=name)


def _smallest_dtype(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dtype).max + 1:
            break
    out = np.asarray(ids).astype(dtype, copy=False)
    out.flags.writeable = False  # splits may share memory (enwik8 graves: valid == test)
    return out
