"""Graves (2013) §3.2: enwik8 (Hutter prize), byte level, 7x700 deep LSTM.

  python -m seqgen.main --config=configs/enwik8.py --workdir=/tmp/seqgen/enwik8

Needs enwik8.zip (downloaded and checksum-verified when the network is
there; else place it where the error message says). Paper result (Table
2, validation = the last 4M bytes): 1.67 BPC static, 1.33 with dynamic
evaluation, 1.42 on the training set. Expected time: days on a CPU; this is
a GPU/TPU config. Smoke variant, on a CPU in about a minute:
--config=configs/enwik8.py:smoke (needs the data).

Graves §3.2, as followed here: "seven hidden layers of 700 LSTM cells",
"trained with stochastic gradient descent, using a learn rate of 0.0001
and a momentum of 0.9. It took four training epochs to converge. The LSTM
derivatives were clipped in the range [-1, 1]"; the first 96M bytes for
training and the last 4M for validation (data.split='graves'), split
evenly into 100-byte sequences that are not shuffled, the error
backpropagated to the start of each sequence, and the hidden and cell
state "only reset every 100 sequences" (data.reset_every=100). The loss
the optimizer sees is summed over each 100-byte sequence, as his
(seqgen/steps.py). One-hot bytes in, skip connections, peepholes, outputs
clipped to [-100, 100].

Deviations and why: 32 streams per update instead of one sequence at a
time (one stream leaves an accelerator idle); the gradient is averaged
over the 32 sequences, so the rate is 32 x his 1e-4 = 3.2e-3, one update
standing for his 32 (the linear scaling rule; momentum 0.9 as his); 4
epochs of 30,000 updates = 120,000 steps; forget-gate bias 1 (unstated).
The test split of data.split='graves' is the validation split (he has no
separate test set); data.split='standard' gives the usual 90M/5M/5M.
"""

from seqgen.config import text as text_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/enwik8.py", smoke=False)
    c = text_config.base()
    c.data.dataset = "enwik8"
    c.data.split = "graves"  # train on the first 96M bytes, validate on the last 4M
    c.data.reset_every = 100  # Graves: state "only reset every 100 sequences"
    c.model.num_layers = 7
    c.model.hidden = 700
    c.model.clip_preactivations = 1.0
    c.model.clip_outputs = 100.0
    c.optim.name = "sgd"  # Graves: SGD with momentum, not his RMSProp
    c.optim.learning_rate = 32 * 1e-4  # his 1e-4 per sequence x 32 sequences an update
    c.optim.schedule = "constant"
    c.optim.momentum = 0.9
    c.batch_size = 32  # streams
    c.seq_len = 100  # bytes a sequence (Graves: 100)
    c.num_steps = 120_000  # 4 epochs of 96M / (32 x 100) = 30,000 updates
    c.eval_batch_size = 128
    c.eval_every = 10_000
    c.log_every = 200
    c.checkpoint_every = 2_000
    c.sample.length = 1000
    if v.smoke:
        c = text_config.smoke(c)
    return c


def sweep(add):
    for num_layers, hidden in ((7, 700), (3, 1100), (1, 2000)):  # ~equal params
        add(**{"model.num_layers": num_layers, "model.hidden": hidden})
