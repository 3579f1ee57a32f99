"""Graves (2013) §3.2: enwik8 (Hutter prize), byte level, 7x700 deep LSTM.

  python -m seqgen.main --config=configs/enwik8.py --workdir=/tmp/seqgen/enwik8

Needs enwik8.zip (downloaded and checksum-verified when the network is
there; else place it where the error message says). Paper result: 1.67 BPC
static, 1.33 with dynamic evaluation, on the last 4M bytes (split='graves').
Expected time: days on a CPU; this is a GPU/TPU config. Smoke variant, on a
CPU in about a minute: --config=configs/enwik8.py:smoke (needs the data).

As Graves: one-hot bytes in, 7 layers of 700 peephole cells with skip
connections, 100-byte windows with the state carried across windows, his
centred RMSProp with momentum 0.9 and lr 1e-4, derivatives clipped to
[-1, 1] at the LSTM pre-activations and [-100, 100] at the outputs.
Deviations and why: 32 parallel streams per update (Graves updated on one
stream at a time, which leaves accelerators idle); the loss is the mean per
byte, not Graves' sum per sequence (his RMSProp normalises the gradient
scale away, up to eps); default split is the usual 90M/5M/5M
(data.split='graves' gives his 96M/4M); forget-gate bias 1 (unstated).
"""

from seqgen import text_config
from seqgen.config_variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/enwik8.py", smoke=False)
    c = text_config.base()
    c.data.dataset = "enwik8"
    c.data.split = "standard"  # 'graves': train 96M, validate on the last 4M
    c.model.num_layers = 7
    c.model.hidden = 700
    c.model.clip_preactivations = 1.0
    c.model.clip_outputs = 100.0
    c.optim.name = "graves_rmsprop"
    c.optim.learning_rate = 1e-4
    c.optim.schedule = "constant"
    c.optim.momentum = 0.9
    c.batch_size = 32
    c.seq_len = 100
    c.num_steps = 500_000  # ~1.6e9 bytes, about 18 passes over the 90M
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
