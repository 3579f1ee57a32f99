"""Online handwriting recognition on IAM-OnDB (Graves et al. 2009's task).

  python -m seqgen.main --config=configs/iam_recognition.py --workdir=/tmp/seqgen/iam_rec
  python -m seqgen.evaluate --workdir=/tmp/seqgen/iam_rec --split=test

Needs IAM-OnDB in ~/tensorflow_datasets/downloads/manual/iam_ondb/ (see
configs/iam_prediction.py). Expected time: several hours on a GPU.
Smoke variant: --config=configs/iam_recognition.py:smoke (needs the data).

Graves et al. (2009), "A Novel Connectionist System for Unconstrained
Handwriting Recognition" (IEEE TPAMI 31(5)): a bidirectional LSTM (one
hidden layer of 100 LSTM blocks in each direction) with a CTC output layer
over the characters plus a blank, trained with online gradient descent
(learning rate 1e-4, momentum 0.9) and early stopping on the validation
set; they report 79.7% word accuracy on the online IAM-OnDB test set with a
dictionary and a language model, against 65.0% for an HMM (these figures
and the training settings are quoted from memory of the paper, which is
not in this repository: check them there before relying on them). What to check
here: the CER and WER that seqgen.evaluate prints for --split=test come
from best-path decoding with no dictionary and no language model, so they
are not the paper's word accuracy; compare the trend (BLSTM far ahead of
an HMM) and the character error rate against the paper's own tables, which
we have not seen beside this code.

As the paper: one bidirectional layer of 100 cells each way, CTC, SGD with
momentum 0.9 and learning rate 1e-4 on the loss summed over each line
(seqgen/steps.py), the standard IAM-OnDB split. Deviations and why: the
pen offsets (dx, dy, pen-up), normalised, instead of their 25 hand-made
features per point (the network learns its own, as in the handwriting
prediction configs); Graves' peephole cells; 32 lines per update, the
gradient averaged over them (throughput); lines over 2,000 points left out
(counted); strokes cleaned as Graves (2013) §4 (data.cleaning='graves').
"""

from seqgen.config import handwriting as handwriting_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/iam_recognition.py", smoke=False)
    c = handwriting_config.recognition_base()
    c.data.dataset = "iam_ondb"
    c.data.split = "standard"  # trainset / testset_v (validation) / testset_f (test)
    c.data.cleaning = "graves"  # interpolate missing readings, drop jumps over max_jump
    c.data.max_points = 2000  # IAM lines reach ~1,900 points
    c.data.bucket = 200
    c.model.num_layers = 1  # Graves et al. 2009: one bidirectional hidden layer
    c.model.hidden = 100  # LSTM blocks per direction
    c.optim.name = "sgd"
    c.optim.learning_rate = 1e-4  # per line-summed loss, as the paper
    c.optim.momentum = 0.9
    c.optim.schedule = "constant"
    c.optim.clip_norm = 0.0
    c.batch_size = 32  # lines
    c.num_steps = 100_000
    c.eval_every = 1_000
    c.log_every = 100
    c.checkpoint_every = 1_000
    if v.smoke:
        c = handwriting_config.smoke(c)
    return c


def sweep(add):
    """Graves et al. 2009 vary the hidden layer's size."""
    for hidden in (100, 200):
        add(**{"model.hidden": hidden})
