"""Periodic binary strings, the toy of char-level tutorials: 0101...,
0001..., 000001..., 0000011111... (not in the 1997 paper).

  python -m seqgen.tasks.main --config=configs/tasks/periodic.py:pattern=000001 \
      --workdir=/tmp/seqgen/per

Read 50 symbols of the pattern repeated from a random phase, predict each
next one (softmax over 2 symbols, cross-entropy). Success: on every phase,
every prediction after the first period is right (the first period only
reveals the phase). Counting to five zeros (0000011111) needs a memory
that a next-symbol lookup lacks. Measured here (10 trials): the 1997 LSTM
solves every pattern in every trial (mean 50, 245, 725 and 4,195
sequences), seconds; the tanh RNN only 01.

Net: the 1997 LSTM with 2 blocks of 2 cells, weights U(-0.1, 0.1),
learning rate 0.05, truncated gradient. Variants: `:pattern=0001` (01,
0001, 000001, 0000011111 or any 0/1 string), `:T=...`, `:lr=...`, `:smoke`.
"""

from seqgen.config import tasks as task_config
from seqgen.config.variants import parse_arg

PATH = "configs/tasks/periodic.py"


def get_config(arg: str | None = None):
    v = parse_arg(arg, PATH, pattern="0000011111", T=50, lr=float, smoke=False)
    c = task_config.base()
    c.task.name = "periodic"
    c.task.pattern = v.pattern  # one period of the string
    c.task.T = v.T  # symbols read per sequence
    c.output.activation = "softmax"
    c.output.loss = "xent"
    c.criterion.kind = "fixed"
    c.criterion.rule = "argmax"
    c.train.max_sequences = 20_000
    c.train.chunk = 50  # the success test runs this often (sequences)
    m = c.lstm1997
    m.num_blocks, m.block_size = 2, 2
    m.init_scale = 0.1
    m.learning_rate = 0.05 if v.lr is None else v.lr  # 0.1: 0000011111 solved in 2 of 4 trials

    c.lstm.hidden = 4
    c.lstm.learning_rate = 0.1 if v.lr is None else v.lr
    c.rnn.hidden = 8
    c.rnn.learning_rate = 0.1 if v.lr is None else v.lr

    p = c.paper
    p.source = "not in the paper"
    p.net = "n/a"
    p.success = "n/a"
    p.sequences = "n/a"
    p.test_wrong = "n/a"
    p.baseline = "n/a"
    if v.smoke:
        c = task_config.smoke(c)
    return c


def sweep(add):
    for pattern in ("01", "0001", "000001", "0000011111"):
        add(**{"task.pattern": pattern})
