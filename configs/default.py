"""Default: a character-level LSTM on the embedded Shakespeare corpus, CPU-sized.

  python -m seqgen.main --config=configs/default.py --workdir=/tmp/seqgen/default

Expected on a 2-core CPU: about 8 minutes, validation BPC about 1.9 (see the
README results table for the measured numbers); samples in
<workdir>/samples/, metrics in <workdir>/metrics.jsonl and TensorBoard
events in <workdir>/tensorboard/.
Smoke variant (seconds): --config=configs/default.py:smoke

Where this deviates from Graves (2013) and why: 2x256 cells instead of
7x700 and Adam with a cosine schedule instead of his RMSProp, so that a
laptop CPU gets a useful model in minutes; 32 streams of 100-symbol windows
with the state carried across windows, as Graves.
"""

from seqgen import text_config


def get_config(arg: str | None = None):
    c = text_config.base()
    c.data.dataset = "shakespeare"
    c.model.num_layers = 2
    c.model.hidden = 256
    c.optim.name = "adam"
    c.optim.learning_rate = 4e-3
    c.optim.schedule = "cosine"
    c.optim.warmup_steps = 50
    c.num_steps = 2400
    c.eval_every = 800
    c.checkpoint_every = 400
    if arg == "smoke":
        c = text_config.smoke(c)
    elif arg:
        raise ValueError(f"unknown variant {arg!r} of configs/default.py; use ':smoke'")
    return c


def sweep(add):
    """Ablations of Graves' design choices (python -m launch.sweep, issue 6)."""
    for skip in (True, False):
        add(**{"model.skip": skip})
    for peepholes in (True, False):
        add(**{"model.peepholes": peepholes})
