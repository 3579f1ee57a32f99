"""IAM-OnDB online handwriting lines as stroke arrays (Graves 2013, section 4).

`load_iam_ondb(data_config)` returns `HandwritingSplits` (strokes.py) of raw-unit
lines: float32 (T, 3) rows (dx, dy, eos), x right, y UP, row 0 = (0, 0) (each
line is translated so that its first point is the origin), eos = 1 on the last
point of every stroke. The first call prepares a TFDS dataset (array_record,
read back without TensorFlow); later calls only read it.

The data needs registration, so it is never downloaded. Put in manual_dir:
  lineStrokes-all.tar.gz  or its unpacked lineStrokes/ folder
      lineStrokes/a01/a01-000/a01-000u-01.xml: one XML file (ISO-8859-1) per line,
      WhiteboardCaptureSession/StrokeSet/Stroke/Point@x,@y,@time, y pointing down;
  ascii-all.tar.gz  or its unpacked ascii/ folder
      ascii/a01/a01-000/a01-000u.txt: a form's text; the lines after the 'CSR:'
      line are its text lines, and the i-th non-empty one is the transcription
      of <form>-<ii>.xml (ii = 01, 02, ...);
  trainset.txt, testset_v.txt, testset_t.txt, testset_f.txt: form ids, one a line;
  optionally original-xml-all.tar.gz (or -part, or the unpacked original/ folder):
      only the writer ids are read from it (General/Form@writerID).
An unpacked folder is preferred to its archive when both are present.

data_config fields (a ConfigDict; missing optional fields take the defaults):
  data_dir:   TFDS data dir; '' means $SEQGEN_DATA_DIR, else ~/tensorflow_datasets.
  manual_dir: where the files above are; '' means <data_dir>/downloads/manual/iam_ondb.
  split:      'standard' (default): train = trainset, valid = testset_v,
              test = testset_f; testset_t (the IAM-OnDB-t1 second validation set)
              is not used. 'graves' (Graves 2013 §4: training set, test set and
              the larger validation set for training, the smaller for early
              stopping; testset_t is taken as the larger, testset_v as the
              smaller): train = trainset + testset_t + testset_f, valid =
              testset_v, and test = testset_v too, since no data is left over.
  max_jump:   IAM whiteboard units, default 500: a step longer than this inside a
              stroke is a tracking glitch (strokes.clean()). Real pen steps are
              tens of units (letters are a few hundred units tall); 500 is also
              the offset limit of the widely used write-rnn-tensorflow loader.
  cleaning:   'graves' (configs/iam_*.py): Graves §4's correction, readings
              missing from the time stamps filled in by interpolation and
              over-long steps removed; 'split' (the default when the field is
              absent, as before it existed): only non-numeric readings are
              interpolated and a glitch splits the stroke, so the spurious
              move stays in the data as a pen-up move.
              Each (cleaning, max_jump) is a separate prepared dataset.

Preparation reads the inputs with iam_ondb_files.py (whose docstring says
what is done to each line file and which lines are skipped and counted) and
stores the lines, cleaned, in order. All the counts are in
HandwritingSplits.info. The offset statistics of the train lines of both
splits are computed at preparation and stored with the dataset, as are the
sha256 of the archives and split files. A failed preparation leaves no
partial files, and an already prepared dataset is never touched. Preparing
the whole database should take about a minute on 2 cores (2,000 synthetic
lines of ~700 points took 9 s, most of it XML parsing); reading it back
takes well under a second.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data import strokes
from seqgen.data.iam_ondb_files import SPLIT_FILES, URL, Source, locate, read_examples
from seqgen.data.prepare import config_get, prepare, resolve_dirs
from seqgen.data.strokes import (
    CLEANINGS,
    HandwritingSplits,
    OffsetStats,
    StrokeDataError,
    StrokeSet,
)

SPLITS = {  # split -> split files of (train, valid, test)
    "standard": (("trainset",), ("testset_v",), ("testset_f",)),
    "graves": (("trainset", "testset_t", "testset_f"), ("testset_v",), ("testset_v",)),
}
DEFAULT_MAX_JUMP = 500.0

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------
# The TFDS builder.
# ----------------------------------------------------------------------------

def _split_stats(examples: dict[str, list[dict]]) -> dict[str, dict]:
    """Offset statistics of the train lines of each split, stored at preparation."""
    out = {}
    for split, (train, _, _) in SPLITS.items():
        lines = [ex["line"] for name in train for ex in examples[name]]
        if not lines:
            raise StrokeDataError(f"iam_ondb: no usable line in {', '.join(train)} (split "
                                  f"{split!r}); check the files in the manual_dir.")
        out[split] = strokes.compute_stats(lines).to_dict()
    return out


def _config_name(max_jump: float, cleaning: str = "split") -> str:
    # 'split' keeps the name it had before 'graves' existed: no re-preparation.
    prefix = "" if cleaning == "split" else f"{cleaning}_"
    return f"{prefix}max_jump_{max_jump:g}".replace(".", "p").replace("+", "")


class SeqgenIamOndb(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """IAM-OnDB lines (float32 (T, 3) raw units, y up), text, id, writer; one split per file."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Lines cleaned by strokes.clean, y flipped, first point at "
                              "the origin; splits trainset/testset_v/testset_t/testset_f."}
    # Other max_jump values are custom configs (TFDS logs that it uses one).
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(
        name=_config_name(DEFAULT_MAX_JUMP),
        description=f"strokes.clean(max_jump={DEFAULT_MAX_JUMP:g})")]
    source: Source | None = None

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self, description=self.__doc__, homepage=URL,
            features=tfds.features.FeaturesDict({
                "line": tfds.features.Tensor(shape=(None, 3), dtype=np.float32,
                                             encoding=tfds.features.Encoding.BYTES),
                "text": tfds.features.Text(), "id": tfds.features.Text(),
                "writer": tfds.features.Text()}),
            disable_shuffling=True, metadata=tfds.core.MetadataDict())

    def _split_generators(self, dl_manager: Any) -> dict[str, Iterator]:
        del dl_manager  # the inputs are located before preparation
        assert self.source is not None, "set builder.source before preparing"
        examples, info = read_examples(self.source)
        self.info.metadata.update(info, stats=_split_stats(examples))
        # TFDS cannot write an empty split; the reader treats a missing one as empty.
        return {name: self._generate_examples(ex) for name, ex in examples.items() if ex}

    def _generate_examples(self, examples: list[dict]) -> Iterator[tuple[int, dict]]:
        yield from enumerate(examples)


# ----------------------------------------------------------------------------
# The entry point.
# ----------------------------------------------------------------------------


def _read_split(builder: SeqgenIamOndb, name: str, count: int) -> list[dict]:
    if count == 0:
        return []
    records = builder.as_data_source(name)
    out = [records[i] for i in range(len(records))]
    if len(out) != count:
        raise StrokeDataError(f"iam_ondb: {builder.data_dir} split {name!r} holds {len(out)} "
                              f"lines, its metadata says {count}; delete that directory to "
                              f"prepare it again.")
    return out


def _stroke_set(records: list[dict]) -> StrokeSet:
    return StrokeSet(lines=tuple(np.asarray(r["line"], np.float32) for r in records),
                     texts=tuple(r["text"].decode("utf-8") for r in records),
                     ids=tuple(r["id"].decode("utf-8") for r in records),
                     writers=tuple(r["writer"].decode("utf-8") for r in records))


def load_iam_ondb(data_config: Any) -> HandwritingSplits:
    """IAM-OnDB splits of `data_config` (see the module docstring), preparing on first use."""
    split = config_get(data_config, "split", "") or "standard"
    if split not in SPLITS:
        raise StrokeDataError(f"data_config.split={split!r} for iam_ondb: use 'standard' "
                              f"(trainset / testset_v / testset_f) or 'graves'.")
    max_jump = float(config_get(data_config, "max_jump", 0) or DEFAULT_MAX_JUMP)
    if not max_jump > 0:
        raise StrokeDataError(f"data_config.max_jump={max_jump}: use a positive distance in "
                              f"IAM units (default {DEFAULT_MAX_JUMP:g}).")
    data_dir, _ = resolve_dirs(data_config)
    manual = config_get(data_config, "manual_dir", "")
    manual_dir = (Path(manual).expanduser() if manual
                  else data_dir / "downloads" / "manual" / "iam_ondb")
    cleaning = config_get(data_config, "cleaning", "") or "split"
    if cleaning not in CLEANINGS:
        raise StrokeDataError(f"data_config.cleaning={cleaning!r} for iam_ondb: use one of "
                              f"{', '.join(CLEANINGS)}")
    name = _config_name(max_jump, cleaning)
    config = name if name == _config_name(DEFAULT_MAX_JUMP) else tfds.core.BuilderConfig(
        name=name, description=f"strokes.clean(max_jump={max_jump:g}, method={cleaning!r})")

    def make() -> SeqgenIamOndb:
        return SeqgenIamOndb(data_dir=os.fspath(data_dir), config=config,
                             file_format="array_record")

    builder = make()
    if not (Path(builder.data_dir) / "dataset_info.json").is_file():
        log.info("Preparing iam_ondb (max_jump=%g, cleaning=%s) in %s from %s (first use).",
                 max_jump, cleaning, data_dir, manual_dir)
        prepare(builder, locate(manual_dir, max_jump, cleaning))
        builder = make()
    meta = builder.info.metadata
    records = {name: _read_split(builder, name, meta["num_lines"][name]) for name in SPLIT_FILES}
    train, valid, test = (_stroke_set([r for name in names for r in records[name]])
                          for names in SPLITS[split])
    info = {k: v for k, v in meta.items() if k != "stats"}
    info.update(split=split, split_files={"train": list(SPLITS[split][0]),
                                          "valid": list(SPLITS[split][1]),
                                          "test": list(SPLITS[split][2])})
    return HandwritingSplits(train=train, valid=valid, test=test,
                             stats=OffsetStats.from_dict(meta["stats"][split]),
                             name="iam_ondb", info=info)
