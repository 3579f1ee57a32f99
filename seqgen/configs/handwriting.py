"""Handwriting prediction on drawn handwriting (embedded), CPU-sized.

  python -m seqgen.main --config=configs/handwriting.py --workdir=/tmp/seqgen/handwriting

Drawn handwriting: Shakespeare lines written with four single-line fonts
with random slant, scale, drift and jitter (seqgen/data/drawn.py); no
download or registration. Expected on a 2-core CPU: 12 minutes (400 steps
of 32 lines, ~13,000 points/s), validation -0.17 nats per point, -107 nats
per line; samples show letter-like strokes, words and pen-ups.
Samples (SVG + PNG) and the predictive-density map of a validation line
(Graves' figure 4) go to <workdir>/samples/ at every evaluation.
Smoke variant (seconds): --config=configs/handwriting.py:smoke

As Graves (2013 §4): a deep peephole LSTM with skip connections reading
normalised pen offsets, 20-component mixture density output with a
Bernoulli end of stroke, derivatives clipped to [-10, 10] in the LSTM and
[-100, 100] at the outputs. Deviations and why: 2x256 instead of 3x400 and
Adam instead of his RMSProp, so that the run fits 15 minutes on a laptop
CPU; lines longer than data.max_points are left out (counted: ~1%).
"""

from seqgen.config import handwriting as handwriting_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/handwriting.py", smoke=False)
    c = handwriting_config.base()
    c.data.dataset = "drawn"
    c.data.max_chars = 40  # 20-40 characters, ~640 points a line on average
    c.data.max_points = 1200
    c.model.num_layers = 2  # Graves: 3; a CPU-sized run of one font
    c.model.hidden = 256  # Graves: 400
    c.optim.name = "adam"
    c.optim.learning_rate = 2e-3
    c.optim.schedule = "cosine"
    c.optim.warmup_steps = 50
    c.batch_size = 32
    c.num_steps = 400
    c.eval_every = 100
    c.log_every = 20
    c.checkpoint_every = 100
    if v.smoke:
        c = handwriting_config.smoke(c)
    return c


def sweep(add):
    for skip in (True, False):
        add(**{"model.skip": skip})
    for num_mixtures in (5, 20):
        add(**{"model.num_mixtures": num_mixtures})
