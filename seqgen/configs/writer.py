"""The ready-made writer: handwriting synthesis on a population of drawn
writers, the model seqgen ships (seqgen/pretrained/writer).

  python -m seqgen.main --config=configs/writer.py --workdir=/tmp/seqgen/writer
  python -m seqgen.write --workdir=/tmp/seqgen/writer --text="To be, or not" --out=page.svg

Expected on a 2-core CPU: 4,000 steps in about 90 minutes alone (1.3 s a
step; measured: 108 min with other runs sharing the cores). The shipped
writer is this run: its validation likelihood and its legibility (written
and read back by the shipped recogniser, `seqgen.legibility`) are on its
card (seqgen/pretrained/writer/MODEL_CARD.md). CER against training time
(50 texts, bias 1): 87% at 20 min, 55% at 52 min, 30% at 76 min, 20% at
108 min, still falling (docs/writer.md).

The network learns to write Shakespeare lines drawn by 300 writers (seven
single-line fonts, each writer with its own slant, width, spacing, size,
baseline drift, smoothness, pen speed and, for some, cursive joins;
seqgen/data/writers.py), the training lines drawn anew every epoch so the
ink cannot be memorised. Validation lines are by 20 writers it never trained
on; their first lines are the shipped styles (`seqgen.write --list-styles`);
with your own run, `--style=N` primes with validation line N (writer N mod 20).

Continue for longer: the run is resumable; raise num_steps and start the
same command again (`--config.num_steps=12000`); the cosine schedule is
stretched to the new length, so the rate jumps up once at the restart.

As Graves (2013 §5): the window (K = 10) reads the first layer and feeds
every layer; 20 mixture components; derivatives clipped to [-10, 10] in the
LSTM and [-100, 100] at the outputs. Deviations and why (a 2-core CPU in
about two hours): 3 layers of 256 instead of 400 (the first layer's scan
with the window is the cost, and it grows with the square of the width),
Adam instead of his RMSProp, 12 points a character instead of IAM's ~25
(twice the lines per CPU minute), and the kappa projection's bias starting
the window at 1/12 character a point (configs/synthesis.py says why).
Smoke variant (seconds): --config=configs/writer.py:smoke
"""

import pathlib

from seqgen.config.files import load_module
from seqgen.config.variants import parse_arg

# The quick synthesis recipe (configs/synthesis.py) is the base; this file
# changes only the data's writers and the model's size and length.
synthesis = load_module(str(pathlib.Path(__file__).with_name("synthesis.py")),
                        "seqgen_configs_synthesis")


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/writer.py", smoke=False)
    c = synthesis.get_config("smoke" if v.smoke else None)
    c.data.fonts = "all"  # the seven training fonts (three more are reserved for checks)
    c.data.writers = 300  # training writers; 20 validation + 20 test writers never trained on
    c.data.redraw_every_epoch = True  # new ink every epoch for the same texts
    if v.smoke:
        c.data.writers = 4
        c.data.valid_writers = 2
        c.data.test_writers = 2
        return c
    c.model.num_layers = 3  # Graves' 3 (configs/synthesis.py has 2): 300 hands need the depth
    c.model.hidden = 256  # Graves: 400; 256 fits two hours of CPU
    c.num_steps = 4000  # ~1.5 h on 2 cores (1.3 s a step)
    c.eval_every = 500  # validation nats and 32 written texts, ~1 min each
    c.checkpoint_every = 250
    c.keep_checkpoints = 24  # every checkpoint: legibility against training time
    return c


def sweep(add):
    for hidden in (256, 320):
        add(**{"model.hidden": hidden})
