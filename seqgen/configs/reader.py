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
The recipe, texts and augmentations are configs/judge.py's (2
bidirectional layers of 128, 3 points a frame, Adam 1e-3, 32 lines a
batch; letters warped, strokes shuffled); its hands differ.
Measured 2026-12-07/08 on a 2-core AMD EPYC: 6,000 steps from the first
shipped judge's params without the augmentations (--config.init_from=<run>
--config.num_steps=6000 --config.data.glyph_warp=0
--config.data.stroke_shuffle=0) in 808 s (validation CER 3.86%, 11.79% on
the reserved hands), then 8,000 more with them
(--config.init_from=seqgen/pretrained/reader --config.num_steps=8000) in
1,273 s: the shipped reader, validation CER 3.65%, 6.27% on the reserved
hands (seqgen/pretrained/reader/MODEL_CARD.md).
Smoke variant (seconds): --config=configs/reader.py:smoke

Deviations from Graves et al. (2009) are configs/recognition.py's.
"""

import pathlib

from seqgen.config.files import load_module
from seqgen.config.variants import parse_arg

# The judge's config is the base; the reader differs only in its hands.
judge = load_module(str(pathlib.Path(__file__).with_name("judge.py")), "seqgen_configs_judge")
HANDS = "hands:writer+judge"  # every hand a model may learn; never a reserved one


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/reader.py", smoke=False)
    c = judge.get_config("smoke" if v.smoke else None)
    c.data.fonts = HANDS
    return c


def sweep(add):
    add()  # 2x128
    add(**{"model.hidden": 192})  # wider: 77 hands where the first recogniser had seven
