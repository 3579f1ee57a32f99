"""The judge: a recogniser that never saw the writer's hands.

  python -m seqgen.main --config=configs/judge.py --workdir=/tmp/seqgen/judge
  python -m seqgen.legibility --workdir=SYNTH_RUN --recogniser=/tmp/seqgen/judge

Legibility is the character error rate of written lines read back; it means
something only if the reader learned other hands than the writer did. The
judge trains on the judge hands only (seqgen/data/hand_sets.py: traced
handwriting families the writer never gets), 300 writers drawn from them,
on the mixed texts (Shakespeare, modern prose, phrases with numbers, dates,
amounts and times), lines drawn anew every epoch. Its calibration, reported
beside every legibility figure: its CER on lines of the writer hands and of
the reserved hands, neither ever seen (seqgen/handwriting/calibration.py).
The recipe is configs/recognition.py's (2 bidirectional layers of 128, 3
points a frame, Adam 1e-3, 32 lines a batch); its data is what differs,
and the training letters are each given their own shape and their strokes
reversed or swapped at random (data.glyph_warp, data.stroke_shuffle): 24
hands alone taught it their own drawings of the letters.
Measured 2026-12-07 on a 2-core AMD EPYC, each run from the last's params
(--config.init_from=<run> --config.num_steps=N): 4,000 steps from scratch
without the augmentations in 558 s (validation CER 14.4%; 24.2% on the
writer hands, 27.4% on the reserved), 8,000 more in 1,077 s (2.97%;
17.15%, 20.2%), then with them 3,000 in 519 s (5.49%; 13.4%, 14.92%; the
same 3,000 steps without them: 2.62%; 16.58%, 19.53%) and 14,000 in
2,269 s: the shipped judge, validation CER 2.44%, 10.62% on the writer
hands and 9.41% on the reserved (seqgen/pretrained/judge/MODEL_CARD.md).
Smoke variant (seconds): --config=configs/judge.py:smoke

Deviations from Graves et al. (2009) are configs/recognition.py's.
"""

import pathlib

from seqgen.config.files import load_module
from seqgen.config.variants import parse_arg

recognition = load_module(str(pathlib.Path(__file__).with_name("recognition.py")),
                          "seqgen_configs_recognition")
HANDS = "hands:judge"  # the judge hands only: never a writer's, never a reserved one


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/judge.py", smoke=False)
    c = recognition.get_config("writers=300,smoke" if v.smoke else "writers=300")
    c.data.fonts = HANDS
    c.data.texts = "mixed"  # numbers, dates, amounts, times and modern words too
    c.data.max_chars = 40  # lines of 16-40 characters
    # 24 hands teach 24 drawings of each letter: the training letters are
    # each given their own shape (0.2: sizes, shears and turns of ~20%) and
    # their strokes reversed or swapped (30%), so the judge learns letters,
    # not its hands' drawings or the order their strokes came in.
    c.data.glyph_warp = 0.2  # drawing.warp_glyph strength (0 = the hands' own shapes)
    c.data.stroke_shuffle = 0.3  # probability a letter's stroke is reversed / swapped
    if v.smoke:
        c.data.writers = 4
        c.data.valid_writers = 2
        c.data.test_writers = 2
    return c


def sweep(add):
    add()  # 2x128, augmented
    add(**{"data.glyph_warp": 0.0, "data.stroke_shuffle": 0.0})  # the hands as drawn
    add(**{"data.stroke_shuffle": 0.0})  # shapes varied, stroke order kept
    add(**{"model.hidden": 192})  # wider: many more hands than the seven fonts
