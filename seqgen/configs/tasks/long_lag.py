"""Hochreiter & Schmidhuber (1997), experiment 2a: noise-free long time lags.

  python -m seqgen.tasks.main --config=configs/tasks/long_lag.py --workdir=/tmp/seqgen/2a

Two sequences, (x, a_1, ..., a_{p-1}, x) and (y, a_1, ..., a_{p-1}, y),
each drawn with probability 1/2; p + 1 symbols, one-hot in and out. To
predict the final element the net must store the first for p steps.
Success: on both sequences every output unit within 0.25 of its target.
Paper (Table 2): LSTM p=100, learning rate 1, 10,504 weights: 100% of
trials, 5,040 sequences; RTRL and BPTT: 0% (> 5,000,000). Expected here:
Measured here (10 trials): LSTM 10/10, mean 4,430 sequences
(1,400-8,100), 15 s for the 10 trials; the tanh RNN 0/10 in 30,000.

Our reading, and where it may differ from the paper: the final element is
the target (`task.targets='final'`); with a target at every step
(`:every`) our 1997 net abuses its cell as a bias unit for the 101
outputs (the paper's "abuse problem"), its state drifts into saturation,
and no trial succeeds in 10,000 sequences. Net: 1 block of 1 cell reading
only the current input (no recurrent weights: the gates' always-positive
activations fed back make the cell drift too), direct input -> output
weights, biased outputs and gates, input-gate bias -2 (the paper's remedy
for drift), no cell bias: 10,708 weights against the paper's 10,504,
whose exact wiring we could not reconstruct. Weights U(-0.2, 0.2),
learning rate 1.0, truncated gradient. Variants: `:p=...`, `:lr=...`,
`:every`, `:smoke`.
"""

from seqgen.config import tasks as task_config
from seqgen.config.variants import parse_arg

PATH = "configs/tasks/long_lag.py"


def get_config(arg: str | None = None):
    v = parse_arg(arg, PATH, p=100, lr=1.0, every=False, smoke=False)
    c = task_config.base()
    c.task.name = "long_lag"
    c.task.p = v.p  # time lag; p + 1 symbols
    c.task.targets = "every" if v.every else "final"  # final | every next symbol
    c.output.activation = "sigmoid"  # paper: logistic output units
    c.criterion.kind = "fixed"
    c.criterion.rule = "abs_error"
    c.criterion.tol = 0.25  # paper: max. absolute output error below 0.25
    c.train.max_sequences = 30_000  # paper: 5,040 on success
    c.train.chunk = 100  # the success test runs this often (sequences)
    lr = v.lr

    m = c.lstm1997
    m.num_blocks, m.block_size = 1, 1
    m.cell_bias, m.gate_bias, m.output_bias = False, True, True
    m.recurrent = False
    m.input_to_output = True
    m.in_gate_bias = (-2.0,)
    m.init_scale = 0.2
    m.learning_rate = lr

    for net in (c.lstm, c.rnn):
        net.input_to_output = True  # the same feed-forward path as the LSTM
    c.lstm.hidden = 1  # 10,302 + 4*1*(101+1+1) + 101 = 10,815 weights
    c.lstm.learning_rate = lr
    c.rnn.hidden = 3  # 10,302 + 3*(101+3+1) + 303 = 10,920 weights
    c.rnn.learning_rate = lr

    p = c.paper
    p.source = "Table 2 (means of 18 trials)"
    p.net = "1 block x 1, lr 1.0 (wiring not reconstructed)"
    p.weights = 10504
    p.success = "100" if c.task.p == 100 else "n/a"
    p.sequences = "5,040" if c.task.p == 100 else "n/a"
    p.test_wrong = "0 (criterion)"
    p.baseline = "RTRL, BPTT: 0% (> 5,000,000)"
    p.note = "final-element target is our reading; our net has 10,708 weights"
    if v.smoke:
        c = task_config.smoke(c)
    return c


def sweep(add):
    for p in (10, 50, 100, 200):
        add(**{"task.p": p})
