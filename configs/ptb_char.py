"""Graves (2013) §3.1: Penn Treebank, character level, one layer of 1000 cells.

  python -m seqgen.main --config=configs/ptb_char.py --workdir=/tmp/seqgen/ptb_char

Needs Mikolov's simple-examples (downloaded and checksum-verified when the
network is there; else the error says where to put it). Expected time:
about a day on a CPU, hours on a GPU. Smoke variant: --config=configs/ptb_char.py:smoke.

Graves' Table 1 rows (test BPC; the issue quotes 1.32 and 1.24, the other
values are as we read the table), each row one command. Variants are
comma-separated after the colon, in any order; add ',smoke' to any of them
for a seconds-long from-scratch check (e.g. ':weight_noise,smoke').
  none, static              1.32   train as above, then
      python -m seqgen.evaluate --workdir=/tmp/seqgen/ptb_char --split=test
  none, dynamic             1.29   ... the same with --dynamic
  weight noise, static      1.27   (warm start from /tmp/seqgen/ptb_char, as Graves)
      python -m seqgen.main --config=configs/ptb_char.py:weight_noise \
          --workdir=/tmp/seqgen/ptb_char_wn
      python -m seqgen.evaluate --workdir=/tmp/seqgen/ptb_char_wn --split=test
  weight noise, dynamic     1.24   ... the same with --dynamic
  adaptive noise, static    1.26
      python -m seqgen.main --config=configs/ptb_char.py:adaptive_noise \
          --workdir=/tmp/seqgen/ptb_char_awn
      python -m seqgen.evaluate --workdir=/tmp/seqgen/ptb_char_awn --split=test
  adaptive noise, dynamic   1.24   ... the same with --dynamic
The regularised runs load the newest params of config.init_from (default
/tmp/seqgen/ptb_char; override with --config.init_from=DIR) and train
num_steps more windows with a fresh optimizer. Weight noise: one N(0,
0.075^2) sample per train step shared by the 32 streams (Graves: one per
sequence). Adaptive noise: Graves 2011, seqgen/adaptive_noise.py.

As Graves: one-hot input, 1x1000 peephole LSTM, SGD with momentum 0.99,
100-symbol windows with the state carried, derivatives clipped to [-1, 1].
Deviations and why: the loss is the mean per symbol over 32 streams
instead of a sum over one sequence, so his lr 1e-4 becomes 1e-4 x 100
symbols = 1e-2 for the same step per sequence; forget-gate bias 1.
"""

from seqgen import text_config
from seqgen.config_variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/ptb_char.py", **text_config.VARIANTS)
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
    text_config.regularise(c, v, init_from="/tmp/seqgen/ptb_char")
    if v.smoke:
        c = text_config.smoke(c)
    return c


def sweep(add):
    for momentum in (0.9, 0.99):
        add(**{"optim.momentum": momentum})
