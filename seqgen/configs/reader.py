"""The product reader: reads your ink, and checks the writer's lines.

  python -m seqgen.main --config=configs/reader.py --workdir=/tmp/seqgen/reader
  python -m seqgen.read --workdir=/tmp/seqgen/reader --strokes=page.npz

What `seqgen.read` and the web page's Read tab use, and what a writer may
use to check its own lines. It trains on every hand a model may train on:
the writer hands and the judge hands (seqgen/data/hand_sets.py), 300
writers drawn from them, on the mixed texts (Shakespeare, modern prose,
phrases with numbers, dates, amounts and times), lines drawn anew every
epoch. Because it may check the writer's lines, it never grades them: the
judge does (configs/judge.py). Measured on the reserved hands, which
nothing trains or is tuned on (seqgen/handwriting/calibration.py).
The recipe is configs/recognition.py's (2 bidirectional layers of 128, 3
points a frame, Adam 1e-3, 32 lines a batch); its data is what differs.
Expected: ~25-30 min for 4,000 steps on 2 cores; the result is on its model
card (seqgen/pretrained/reader/MODEL_CARD.md) once shipped.
Smoke variant (seconds): --config=configs/reader.py:smoke

Deviations from Graves et al. (2009) are configs/recognition.py's.
"""

import pathlib

from seqgen.config.files import load_module
from seqgen.config.variants import parse_arg

recognition = load_module(str(pathlib.Path(__file__).with_name("recognition.py")),
                          "seqgen_configs_recognition")
HANDS = "hands:writer+judge"  # every hand a model may learn; never a reserved one


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/reader.py", smoke=False)
    c = recognition.get_config("writers=300,smoke" if v.smoke else "writers=300")
    c.data.fonts = HANDS
    c.data.texts = "mixed"  # numbers, dates, amounts, times and modern words too
    c.data.max_chars = 40  # lines of 16-40 characters
    if v.smoke:
        c.data.writers = 4
        c.data.valid_writers = 2
        c.data.test_writers = 2
    return c


def sweep(add):
    add()  # 2x128
    add(**{"model.hidden": 192})  # wider: 77 hands where the first recogniser had seven
