"""The fields of a 1997-task config, each with its unit or typical value.
The variants selected after the colon (`configs/tasks/adding.py:T=500`) are
parsed by seqgen/config/variants.py like those of every config.

Config files (configs/tasks/*.py) start from `base()` and set what their
experiment needs; the paper's numbers ride along in `config.paper` so the
report can print them beside ours.
"""

from __future__ import annotations

import ml_collections

MODELS = ("lstm1997", "lstm", "rnn")


def base() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    # The loop that trains it: online trials, not seqgen.train's windows
    # (python -m seqgen.tasks.main, or seqgen.main, which reads this field).
    c.trainer = "seqgen.tasks.trainer"
    c.seed = 0  # trial i: params from (seed, i), data from (seed, i)
    c.model = "lstm1997"  # the net one trial trains: lstm1997 | lstm | rnn
    c.report_models = MODELS  # the nets the report compares, in this order

    c.task = ml_collections.ConfigDict()
    c.task.name = ""  # reber | long_lag | long_lag_noise | adding | multiplication |
    # temporal_order | periodic; configs add the task's own fields (p, q, T, ...)

    c.output = ml_collections.ConfigDict()
    c.output.activation = "sigmoid"  # sigmoid | linear | softmax (paper: logistic)
    c.output.loss = "mse"  # mse: 0.5 sum of squared errors (paper) | xent

    c.criterion = ml_collections.ConfigDict()
    c.criterion.kind = "recent"  # recent: judge the last `window` training
    # sequences as processed; fixed: judge fixed sets after every chunk
    c.criterion.rule = "abs_error"  # abs_error | argmax | possible_next (Reber)
    c.criterion.tol = 0.04  # abs_error: every judged output within tol
    c.criterion.window = 2000  # recent: sequences judged (paper: 2000)
    c.criterion.max_wrong = 0  # recent: wrong sequences allowed in the window
    c.criterion.max_mse = 0.01  # recent: mean squared error allowed in the window
    c.criterion.num_test = 2560  # fresh test sequences after training (paper: 2560)

    c.train = ml_collections.ConfigDict()
    c.train.batch_size = 1  # sequences per update (paper: 1, online)
    c.train.max_sequences = 100_000  # cap: a trial that has not succeeded fails
    c.train.chunk = 500  # updates per jitted call; fixed criteria check after each
    c.train.trials = 1  # trials of one `seqgen.main` run (the report sets its own)

    c.lstm1997 = ml_collections.ConfigDict()
    c.lstm1997.num_blocks = 2  # memory blocks (paper: 2-4)
    c.lstm1997.block_size = 2  # cells per block (paper: 1-2)
    c.lstm1997.cell_bias = True  # paper: cells biased in exp. 4-6, not in exp. 1
    c.lstm1997.gate_bias = True  # gates biased
    c.lstm1997.output_bias = True  # output units biased
    c.lstm1997.input_to_output = False  # direct input -> output weights
    c.lstm1997.init_scale = 0.1  # weights ~ U(-s, s) (paper: 0.1 or 0.2)
    c.lstm1997.in_gate_bias = ()  # per-block initial input-gate bias, () = random
    c.lstm1997.out_gate_bias = ()  # per-block initial output-gate bias, () = random
    c.lstm1997.g_range = 2.0  # cell input squashing range (paper: [-2, 2])
    c.lstm1997.h_range = 1.0  # cell output squashing range (paper: [-1, 1])
    c.lstm1997.truncate = True  # the paper's truncated gradient; False = full BPTT
    c.lstm1997.learning_rule = "sequence"  # sequence: an update per sequence | step: the
    # paper's rule, an update at every step (seqgen/tasks/online.py)
    c.lstm1997.recurrent = True  # cells and gates read the previous cells and gates
    c.lstm1997.learning_rate = 0.5  # plain SGD step (paper: 0.1-1.0)

    c.lstm = ml_collections.ConfigDict()  # forget-gate LSTM, full BPTT
    c.lstm.hidden = 4  # cells
    c.lstm.peepholes = False  # Gers et al. 2000 had none; Graves' cell has them
    c.lstm.forget_bias = 1.0  # initial forget-gate bias
    c.lstm.in_gate_bias = 0.0  # initial input-gate bias (0 = the usual)
    c.lstm.init_scale = 0.1  # weights ~ U(-s, s)
    c.lstm.output_bias = True
    c.lstm.input_to_output = False
    c.lstm.learning_rate = 0.5  # plain SGD step

    c.rnn = ml_collections.ConfigDict()  # tanh RNN, full BPTT
    c.rnn.hidden = 8  # tanh units
    c.rnn.init_scale = 0.1  # weights ~ U(-s, s)
    c.rnn.output_bias = True
    c.rnn.input_to_output = False
    c.rnn.learning_rate = 0.1  # plain SGD step

    c.paper = ml_collections.ConfigDict()  # what Hochreiter & Schmidhuber report
    c.paper.source = ""  # e.g. 'Table 7'
    c.paper.net = ""  # their LSTM: blocks x size, weights, learning rate
    c.paper.weights = 0  # their weight count (0 = not stated)
    c.paper.success = ""  # % of successful trials, as printed
    c.paper.sequences = ""  # training sequences until success, as printed
    c.paper.test_wrong = ""  # wrong test predictions, as printed
    c.paper.baseline = ""  # the best non-LSTM result they report
    c.paper.note = ""  # doubts about a number, our reading of the text
    return c


def smoke(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """Seconds: a few hundred sequences, a small test; success not expected."""
    c.train.max_sequences = 200
    c.train.chunk = 50
    c.criterion.num_test = 64
    c.criterion.window = min(c.criterion.window, 50)
    return c
