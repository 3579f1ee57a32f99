"""Graves (2013) §3.1: Penn Treebank, character level, one layer of 1000 cells.

  python -m seqgen.main --config=configs/ptb_char.py --workdir=/tmp/seqgen/ptb_char

Needs Mikolov's simple-examples (downloaded and checksum-verified when the
network is there; else the error says where to put it). Paper result,
without regularisation: 1.32 BPC on test (1.24 with weight noise and
dynamic evaluation, issue 9). Expected time: about a day on a CPU, hours on
a GPU. Smoke variant: --config=configs/ptb_char.py:smoke.

As Graves: one-hot input, 1x1000 peephole LSTM, SGD with momentum 0.99,
100-symbol windows with the state carried, derivatives clipped to [-1, 1].
Deviations and why: the loss is the mean per symbol over 32 streams
instead of a sum over one sequence, so his lr 1e-4 becomes 1e-4 x 100
symbols = 1e-2 for the same step per sequence; forget-gate bias 1.
"""

from seqgen import text_config


def get_config(arg: str | None = None):
    c = text_config.base()
    c.data.dataset = "ptb_char"
    c.model.num_layers = 1
    c.model.hidden = 1000
    c.optim.name = "sgd"
    c.optim.learning_rate = 1e-2
    c.optim.momentum = 0.99
    c.optim.schedule = "constant"
    c.batch_size = 32
    c.seq_len = 100
    c.num_steps = 100_000  # ~64 passes over the 5M training characters
    c.eval_every = 2_000
    c.log_every = 200
    c.checkpoint_every = 2_000
    if arg == "smoke":
        c = text_config.smoke(c)
    elif arg:
        raise ValueError(f"unknown variant {arg!r} of configs/ptb_char.py; use ':smoke'")
    return c


def sweep(add):
    for momentum in (0.9, 0.99):
        add(**{"optim.momentum": momentum})
