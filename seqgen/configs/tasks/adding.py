"""Hochreiter & Schmidhuber (1997), experiment 4: the adding problem.

  python -m seqgen.tasks.main --config=configs/tasks/adding.py --workdir=/tmp/seqgen/adding

Pairs (value in [-1, 1], marker); two pairs are marked, the first among the
first ten, the second among the first T/2 - 1; at the end the net outputs
0.5 + (X1 + X2)/4. Success: the last 2000 training sequences all within
0.04 and their mean squared error below 0.01; then 2560 fresh test
sequences are counted. Paper (Table 7, averages of 10 trials, 93 weights):
T=100: 74,000 sequences, 1 of 2560 test sequences wrong; T=500: 209,000;
T=1000: 853,000. Measured here (10 trials, T=100): 10/10, mean 80,471
sequences (70,000-105,000), 4.2/2560 test sequences wrong; 50 s for the 10
trials vmapped on one core.

As the paper: 2 blocks of 2 cells, every non-input unit biased (93
weights), weights U(-0.1, 0.1), input-gate biases -3 and -6, learning rate
0.5, online SGD, the truncated gradient. Deviation: a linear output unit
(a logistic one plateaus at ~0.4% wrong test sequences here). Variants: `:T=500`, `:T=1000`,
`:lr=0.1`, `:bptt` (full BPTT instead of the truncated gradient), `:smoke`.
"""

from seqgen.config import tasks as task_config
from seqgen.config.variants import parse_arg

PATH = "configs/tasks/adding.py"


def get_config(arg: str | None = None):
    v = parse_arg(arg, PATH, T=100, lr=0.5, bptt=False, smoke=False)
    c = task_config.base()
    c.task.name = "adding"
    c.task.T = v.T  # minimal sequence length; lengths T..T+T/10
    # Linear, not logistic: with a logistic output unit our trials plateau at
    # ~0.4% wrong (extreme targets undershot) and never get 2000 in a row.
    c.output.activation = "linear"
    c.criterion.kind = "recent"
    c.criterion.rule = "abs_error"
    c.criterion.tol = 0.04  # paper: |error| < 0.04 at the end is correct
    c.criterion.window = 2000  # paper: the 2000 most recent sequences
    c.criterion.max_wrong = 0
    c.criterion.max_mse = 0.01  # paper: average training error below 0.01
    # Paper: 74k / 209k / 853k sequences; caps ~2.5x that at T=100.
    c.train.max_sequences = {100: 200_000, 500: 500_000}.get(c.task.T, 2_000_000)
    c.train.chunk = 1000

    m = c.lstm1997
    m.num_blocks, m.block_size = 2, 2
    m.cell_bias = m.gate_bias = m.output_bias = True
    m.init_scale = 0.1
    m.in_gate_bias = (-3.0, -6.0)
    m.truncate = not v.bptt
    m.learning_rate = v.lr

    c.lstm.hidden = 4  # 4 cells: 4*4*(2+4+1) + 5 = 117 weights
    c.lstm.learning_rate = v.lr
    c.rnn.hidden = 8  # 8*(2+8+1) + 9 = 97 weights
    c.rnn.learning_rate = 0.1

    p = c.paper
    p.source = "Table 7"
    p.net = "2 blocks x 2, lr 0.5"
    p.weights = 93
    p.success = "n/s (avg. of 10 trials)"
    p.sequences = {100: "74,000", 500: "209,000", 1000: "853,000"}.get(c.task.T, "n/a")
    p.test_wrong = {100: "1/2560", 500: "0/2560", 1000: "1/2560"}.get(c.task.T, "n/a")
    p.baseline = "no baseline run in the paper"
    if v.smoke:
        c = task_config.smoke(c)
    return c


def sweep(add):
    for T in (100, 500, 1000):
        add(**{"task.T": T})
