"""Graves (2013) §3.1: Penn Treebank, character level, one layer of 1000 cells.

  python -m seqgen.main --config=configs/ptb_char.py --workdir=/tmp/seqgen/ptb_char

Needs Mikolov's simple-examples (downloaded and checksum-verified when the
network is there; else the error says where to put it). Expected time:
about a day on a CPU, hours on a GPU. Smoke variant: --config=configs/ptb_char.py:smoke.

Graves' Table 1 rows (test BPC; as quoted to us from the paper, not yet
checked against arXiv 1308.0850 here), each row one command. Variants are
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
  adaptive noise, dynamic   (no figure quoted to us)   ... the same with --dynamic
The regularised runs load the newest params of config.init_from (default
/tmp/seqgen/ptb_char; override with --config.init_from=DIR) and train
num_steps more windows with a fresh optimizer. Weight noise: one N(0,
0.075^2) sample per train step shared by the 32 streams (Graves: one per
sequence). Adaptive noise: Graves 2011, seqgen/regularise.py.

As Graves §3.1: one-hot input, 1x1000 peephole LSTM, "stochastic gradient
descent ... learn rate of 0.0001 and a momentum of 0.99", derivatives
clipped to [-1, 1], 100-symbol sequences with the state carried, the loss
summed over each sequence (seqgen/steps.py); weight noise of std 0.075
"applied to the network weights at the start of each training sequence";
the regularised networks start from the unregularised one's weights.
Deviations and why: 32 streams per update, the gradient averaged over
them, so the rate is 32 x his 1e-4 = 3.2e-3, one update standing for his
32 (the linear scaling rule); one weight-noise sample per update shared
by the 32 streams (one per stream would need 32 copies of the weights);
forget-gate bias 1 (unstated).
"""

from seqgen.config import text as text_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/ptb_char.py", **text_config.VARIANTS)
    c = text_config.base()
    c.data.dataset = "ptb_char"
    c.model.num_layers = 1
    c.model.hidden = 1000
    c.optim.name = "sgd"
    c.optim.learning_rate = 32 * 1e-4  # his 1e-4 per sequence x 32 sequences an update
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
