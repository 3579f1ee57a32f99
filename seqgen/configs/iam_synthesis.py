"""Graves (2013) §5: handwriting synthesis on IAM-OnDB, 3x400, K = 10, M = 20.

  python -m seqgen.main --config=configs/iam_synthesis.py --workdir=/tmp/seqgen/iam_syn
  python -m seqgen.write --workdir=/tmp/seqgen/iam_syn --text="..." --bias=0.75 --out=page.svg

Needs IAM-OnDB in ~/tensorflow_datasets/downloads/manual/iam_ondb/ (see
configs/iam_prediction.py). Paper result: -1096.9 nats per line on
testset_v, without regularisation. Expected time: about a day on a GPU.
Smoke variant: --config=configs/iam_synthesis.py:smoke (needs the data).

As Graves: 3 layers of 400 peephole cells with skip connections, a window
of 10 Gaussians reading layer 1 and feeding every layer, 20 mixture
components, his centred RMSProp (lr 1e-4, momentum 0.9), derivatives
clipped to [-10, 10] in the LSTM and [-100, 100] at the outputs, his split.
The loss the optimizer sees is summed over each line (the scale his
RMSProp's eps assumes; seqgen/steps.py). Deviations and why: 32 lines per
update (throughput), the gradient averaged over them; the kappa bias starts
the window at ~1/25 character per point (IAM-OnDB's points per character;
Graves is silent); lines over 2,000 points are left out (counted).
"""

from seqgen.config import handwriting as handwriting_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/iam_synthesis.py", smoke=False)
    c = handwriting_config.synthesis_base()
    c.data.dataset = "iam_ondb"
    c.data.split = "graves"
    # Graves §4's correction of recording errors: readings missing from the time
    # stamps interpolated, steps over data.max_jump (500 units) removed;
    # 'split' keeps such a step as a pen-up move (seqgen/data/strokes.py).
    c.data.cleaning = "graves"
    c.data.max_points = 2000
    c.data.bucket = 200
    c.optim.name = "graves_rmsprop"
    c.optim.learning_rate = 1e-4
    c.optim.momentum = 0.9
    c.optim.schedule = "constant"
    c.batch_size = 32
    c.num_steps = 50_000
    c.eval_every = 1_000
    c.log_every = 100
    c.checkpoint_every = 1_000
    if v.smoke:
        c = handwriting_config.smoke(c)
    return c


def sweep(add):
    add(**{"data.reduced_alphabet": True})
    add(**{"data.reduced_alphabet": False})
