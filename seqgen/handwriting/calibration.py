"""A reader's calibration: how well it reads hands it never trained on.

A legibility figure (a writer's lines read back by a judge) means something
only beside the judge's own error on lines of known text in hands it never
saw: if the judge misreads one character in ten of clean drawn lines, a
writer read at 10% CER is as legible as those lines. `calibrate` draws
`num` lines of the reader's own test texts (never trained on) by new
writers of a hand set (seqgen/data/hand_sets.py: 'writer', 'judge' or
'reserved'), with the reader's own drawing settings (points per character,
text sources, writer population), and reads them back.

The writers are the test split's stream of the drawn data (never a
training writer); the reserved hands are drawn only here, to be read and
scored, never trained or tuned on (drawn.load_drawn(measuring=True)).

Dimension letters: none (lists of lines).
"""
from __future__ import annotations

import dataclasses

import ml_collections

from seqgen.data import drawn
from seqgen.data.strokes import StrokeSet
from seqgen.handwriting import error_rates

WRITERS = 40  # new writers per hand set: several per family of the smaller sets


@dataclasses.dataclass(frozen=True)
class Calibration:
    hands: str  # the hand set's name
    lines: int
    cer: float
    wer: float


def hand_lines(data_config: ml_collections.ConfigDict, hands: str, num: int,
               seed: int = 0) -> StrokeSet:
    """`num` test lines of `data_config`'s texts by WRITERS new writers of hand set `hands`."""
    c = ml_collections.ConfigDict(data_config.to_dict())
    c.dataset = "drawn"
    c.fonts = f"hands:{hands}"
    c.seed = seed
    c.num_train, c.num_valid, c.num_test = 1, 0, num  # only the test lines are read
    c.writers, c.valid_writers, c.test_writers = 1, 1, WRITERS
    c.redraw_every_epoch = False
    c.held_out_writers = ""
    return drawn.load_drawn(c, measuring=True).test


def calibrate(reader, model, hands: str, num: int, seed: int = 0) -> Calibration:
    """The reader kind's CER / WER on `num` lines of hand set `hands` it never saw."""
    lines = hand_lines(reader.config.data, hands, num, seed)
    read = reader.read(model, list(lines.lines))
    errors = error_rates.total(list(zip(lines.texts, read, strict=True)))
    return Calibration(hands, len(lines), errors.cer, errors.wer)
