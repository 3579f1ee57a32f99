"""Graves (2013) §4.2: handwriting prediction on IAM-OnDB, 3x400, M = 20.

  python -m seqgen.main --config=configs/iam_prediction.py --workdir=/tmp/seqgen/iam

Needs IAM-OnDB (registration at
https://fki.tic.heia-fr.ch/databases/iam-on-line-handwriting-database):
put lineStrokes-all.tar.gz, ascii-all.tar.gz and the split files in
~/tensorflow_datasets/downloads/manual/iam_ondb/ (or set
--config.data.manual_dir); the error message lists what is missing.
Paper result: -1041.0 nats per line on the validation set (testset_v),
without regularisation (-1057.7 with adaptive weight noise), in normalised
offsets (unit std) like nats_per_line here; raw_nats_per_line adds
T log(sigma_x sigma_y) for a line of T points (the raw units' density).
Expected time: about a day on a GPU; days on a CPU.
Smoke variant: --config=configs/iam_prediction.py:smoke (needs the data).

As Graves: 3 layers of 400 peephole cells with skip connections, 20
mixture components, his centred RMSProp (lr 1e-4, momentum 0.9),
derivatives clipped to [-10, 10] in the LSTM and [-100, 100] at the
outputs, his split (train on trainset + testset_t + testset_f, validate on
testset_v), recording errors corrected as he describes ("interpolating to
fill in for missing readings, and removing steps whose length exceeded a
certain threshold": data.cleaning='graves'), offsets normalised to mean 0,
std 1, the loss the optimizer
sees summed over each line (the scale his RMSProp's eps = 1e-4 assumes;
seqgen/steps.py). Deviations and why: 32 lines per update instead of one
(throughput), the gradient averaged over them; lines over 2,000 points are
left out (counted; IAM has very few).
"""

from seqgen.config import handwriting as handwriting_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/iam_prediction.py", smoke=False)
    c = handwriting_config.base()
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
    c.num_steps = 50_000  # ~150 passes over the ~10,800 training lines
    c.eval_every = 1_000
    c.log_every = 100
    c.checkpoint_every = 1_000
    if v.smoke:
        c = handwriting_config.smoke(c)
    return c


def sweep(add):
    for clip in (10.0, 0.0):  # Graves' derivative clipping on / off
        add(**{"model.clip_preactivations": clip})
