"""Graves (2013) §3.1: Penn Treebank, word level, one layer of 1000 cells.

  python -m seqgen.main --config=configs/ptb_word.py --workdir=/tmp/seqgen/ptb_word

Needs Mikolov's simple-examples (10k words incl. <unk>; <eos> appended to
every sentence). Paper result without regularisation: perplexity 138 on
test (117 with weight noise and dynamic evaluation, issue 9). Expected time:
hours on a CPU. Smoke variant: --config=configs/ptb_word.py:smoke.

As Graves: one-hot words in (computed as a row gather, the same numbers),
1x1000 peephole LSTM, SGD with momentum 0.99, 100-word windows with the
state carried, derivatives clipped to [-1, 1]. Deviations and why: the loss
is the mean per word over 32 streams, so his lr 1e-4 per sequence becomes
1e-2; forget-gate bias 1.
"""

from seqgen import text_config


def get_config(arg: str | None = None):
    c = text_config.base()
    c.data.dataset = "ptb_word"
    c.model.num_layers = 1
    c.model.hidden = 1000
    c.optim.name = "sgd"
    c.optim.learning_rate = 1e-2
    c.optim.momentum = 0.99
    c.optim.schedule = "constant"
    c.batch_size = 32
    c.seq_len = 100
    c.num_steps = 30_000  # ~32 passes over the 930k training words
    c.eval_every = 1_000
    c.log_every = 100
    c.checkpoint_every = 1_000
    c.sample.length = 100
    if arg == "smoke":
        c = text_config.smoke(c)
    elif arg:
        raise ValueError(f"unknown variant {arg!r} of configs/ptb_word.py; use ':smoke'")
    return c


def sweep(add):
    for hidden in (200, 1000):
        add(**{"model.hidden": hidden})
