"""Handwriting prediction on drawn handwriting (embedded), CPU-sized.

  python -m seqgen.main --config=configs/handwriting.py --workdir=/tmp/seqgen/handwriting

Drawn handwriting: Shakespeare lines written with four single-line fonts
with random slant, scale, drift and jitter (seqgen/data/drawn.py); no
download or registration. Expected on a 2-core CPU: RESULT_HW.
Samples (SVG + PNG) and the predictive-density map of a validation line
(Graves' figure 4) go to <workdir>/samples/ at every evaluation.
Smoke variant (seconds): --config=configs/handwriting.py:smoke

As Graves (2013 §4): a deep peephole LSTM with skip connections reading
normalised pen offsets, 20-component mixture density output with a
Bernoulli end of stroke, derivatives clipped to [-10, 10] in the LSTM and
[-100, 100] at the outputs. Deviations and why: a smaller network (see
below) and Adam instead of his RMSProp, so that the run fits 15 minutes on
a laptop CPU; lines longer than data.max_points are left out (counted).
"""

from seqgen import handwriting_config


def get_config(arg: str | None = None):
    c = handwriting_config.base()
    c.data.dataset = "drawn"
    c.model.num_layers = 2
    c.model.hidden = 256
    c.model.num_mixtures = 20
    c.optim.name = "adam"
    c.optim.learning_rate = 2e-3
    c.optim.schedule = "cosine"
    c.optim.warmup_steps = 50
    c.batch_size = 32
    c.num_steps = 1500
    c.eval_every = 500
    c.log_every = 50
    c.checkpoint_every = 250
    if arg == "smoke":
        c = handwriting_config.smoke(c)
    elif arg:
        raise ValueError(f"unknown variant {arg!r} of configs/handwriting.py; use ':smoke'")
    return c


def sweep(add):
    for skip in (True, False):
        add(**{"model.skip": skip})
    for num_mixtures in (5, 20):
        add(**{"model.num_mixtures": num_mixtures})
