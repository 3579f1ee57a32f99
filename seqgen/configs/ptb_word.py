"""Graves (2013) §3.1: Penn Treebank, word level, one layer of 1000 cells.

  python -m seqgen.main --config=configs/ptb_word.py --workdir=/tmp/seqgen/ptb_word

Needs Mikolov's simple-examples (10k words incl. <unk>; <eos> appended to
every sentence). Expected time: hours on a CPU. Smoke variant:
--config=configs/ptb_word.py:smoke.

Graves' Table 1 rows (test perplexity per word; as quoted to us from the
paper, not yet checked against arXiv 1308.0850 here), each row one command.
Variants are comma-separated after the colon, in any order; add ',smoke'
for a seconds-long from-scratch check (e.g. ':weight_noise,smoke').
  none, static              138   train as above, then
      python -m seqgen.evaluate --workdir=/tmp/seqgen/ptb_word --split=test
  none, dynamic             126   ... the same with --dynamic
  weight noise, static      126   (warm start from /tmp/seqgen/ptb_word, as Graves)
      python -m seqgen.main --config=configs/ptb_word.py:weight_noise \
          --workdir=/tmp/seqgen/ptb_word_wn
      python -m seqgen.evaluate --workdir=/tmp/seqgen/ptb_word_wn --split=test
  weight noise, dynamic     117   ... the same with --dynamic
  adaptive noise, static/dynamic   no number in the paper (Graves gives
      adaptive noise for characters only); the row exists for comparison:
      python -m seqgen.main --config=configs/ptb_word.py:adaptive_noise \
          --workdir=/tmp/seqgen/ptb_word_awn
The regularised runs load the newest params of config.init_from (default
/tmp/seqgen/ptb_word; override with --config.init_from=DIR) and train
num_steps more windows with a fresh optimizer. Weight noise: one N(0,
0.075^2) sample per train step shared by the 32 streams (Graves: one per
sequence). Adaptive noise: Graves 2011, seqgen/regularise.py.

As Graves: one-hot words in (computed as a row gather, the same numbers),
1x1000 peephole LSTM, SGD with momentum 0.99, 100-word windows with the
state carried, derivatives clipped to [-1, 1], the loss summed over each
sequence (seqgen/steps.py), weight noise std 0.075 "applied to the network
weights at the start of each training sequence". Deviations and why: 32
streams per update, the gradient averaged over them, so the rate is 32 x
his 1e-4 = 3.2e-3 (the linear scaling rule); one weight-noise sample per
update shared by the 32 streams; forget-gate bias 1 (unstated).
"""

from seqgen.config import text as text_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/ptb_word.py", **text_config.VARIANTS)
    c = text_config.base()
    c.data.dataset = "ptb_word"
    c.model.num_layers = 1
    c.model.hidden = 1000
    c.optim.name = "sgd"
    c.optim.learning_rate = 32 * 1e-4  # his 1e-4 per sequence x 32 sequences an update
    c.optim.momentum = 0.99
    c.optim.schedule = "constant"
    c.batch_size = 32
    c.seq_len = 100
    c.num_steps = 30_000  # ~32 passes over the 930k training words
    c.eval_every = 1_000
    c.log_every = 100
    c.checkpoint_every = 1_000
    c.sample.length = 100
    text_config.regularise(c, v, init_from="/tmp/seqgen/ptb_word")
    if v.smoke:
        c = text_config.smoke(c)
    return c


def sweep(add):
    for hidden in (200, 1000):
        add(**{"model.hidden": hidden})
