"""Default: a character-level LSTM on the embedded Shakespeare corpus, CPU-sized.

  python -m seqgen.main --config=configs/default.py --workdir=/tmp/seqgen/default

Expected on a 2-core CPU: 7-11 minutes (AVX-512 to AVX2-only), validation
BPC about 2.45 (measured on an AVX2-only machine, 11 min 11 s with the install:
valid 2.449, test 2.483; docs/reproducing.md); samples in
<workdir>/samples/, metrics in <workdir>/metrics.jsonl and TensorBoard
events in <workdir>/tensorboard/.
Smoke variant (seconds): --config=configs/default.py:smoke
Regularised variants (Graves §3.1; warm start from the run above, as he did;
800 more steps; add ',smoke' for a from-scratch seconds-long check):
  python -m seqgen.main --config=configs/default.py:weight_noise --workdir=/tmp/seqgen/default_wn
  python -m seqgen.main --config=configs/default.py:adaptive_noise --workdir=/tmp/seqgen/default_awn
then python -m seqgen.evaluate --workdir=... --split=test --dynamic for the
static and dynamic rows. Measured with the earlier recipe (forget bias 1,
rate 4e-3) from an 800-step checkpoint (test 2.804 BPC), 800 more steps
each, 4-9 min on one core, test BPC static / dynamic:
no noise 2.593 / 2.555; weight noise 0.075 2.816 / 2.803 and 0.025
2.644 / 2.618; adaptive noise 2.809 / 2.790. At this scale (1M weights,
0.9M training characters) noise hurts: see docs/regularisation.md.
Sweep variant (400 steps, for the ablations in sweep() below):
  python -m launch.sweep --config=configs/default.py:sweep --local --parallel=2

Where this deviates from Graves (2013) and why: 2x256 cells instead of
7x700 and Adam with a cosine schedule instead of his RMSProp, so that a
laptop CPU gets a useful model in minutes; 32 streams of 100-symbol windows
with the state carried across windows, as Graves. Graves states no
forget-gate bias; this recipe starts it at 0 with a peak rate of 6e-3,
chosen by ablation at the 1,286 steps of a 5-minute budget (valid BPC,
seed 0): forget bias 1 and rate 4e-3 (the earlier recipe) 2.641; forget
bias 0 2.549; rate 6e-3 2.573; both 2.508; PyTorch-style init (U(+-1/16))
2.621, with forget bias 0 2.550 (no further gain).
"""

from seqgen.config import text as text_config
from seqgen.config.variants import parse_arg


def get_config(arg: str | None = None):
    v = parse_arg(arg, "configs/default.py", **text_config.VARIANTS, sweep=False)
    c = text_config.base()
    c.data.dataset = "shakespeare"
    c.model.num_layers = 2
    c.model.hidden = 256
    c.optim.name = "adam"
    c.model.forget_bias = 0.0  # b_f at init; 1.0 cost 0.09 BPC at 1,286 steps (docstring)
    c.optim.learning_rate = 6e-3  # cosine peak; 4e-3 cost 0.04 BPC at 1,286 steps
    c.optim.schedule = "cosine"
    c.optim.warmup_steps = 50
    c.num_steps = 2400
    c.eval_every = 800
    c.checkpoint_every = 400
    if v.regularise != "none":
        c.num_steps = 800  # more steps on top of the warm start's
        c.eval_every = 800
        text_config.regularise(c, v, init_from="/tmp/seqgen/default")
    if v.smoke:
        c = text_config.smoke(c)
    elif v.sweep:  # the same model, sized so 8 sweep points fit 20 minutes
        c.num_steps = 400  # per point (~1.4 passes over the corpus); 2 points at a time
        c.eval_every = 400  # validation and samples once, at the end
        c.checkpoint_every = 200
    return c


# (layers, hidden) with the 2x256 baseline's ~985k parameters (skip
# connections, peepholes, one-hot input over the corpus's 76 symbols):
# 1x450 984k, 3x195 987k, 4x162 986k; tests/sweep_test.py builds the
# models and checks the counts.
DEPTH_AT_FIXED_PARAMS = ((1, 450), (3, 195), (4, 162))


def sweep(add):
    """Ablations of Graves' design choices, each against the baseline.

      python -m launch.sweep --config=configs/default.py:sweep --local --parallel=2

    runs all 8 points at 400 steps each (docs/sweeps.md: the measured table and
    time); without ':sweep' each point is the full 2,400-step run.
    """
    add()  # baseline: skip connections, peepholes, 2x256, derivative clipping
    add(**{"model.skip": False})  # layer n sees only h^{n-1}; only h^N feeds the output
    add(**{"model.peepholes": False})
    for num_layers, hidden in DEPTH_AT_FIXED_PARAMS:
        add(**{"model.num_layers": num_layers, "model.hidden": hidden})
    # Graves clips dL/d(pre-activations) to [-1, 1] and dL/d(outputs) to
    # [-100, 100] during backprop; the common alternative clips the global
    # norm of the parameter gradients (1.0, the usual value for Adam);
    # and neither, as the control.
    no_derivative_clip = {"model.clip_preactivations": 0.0, "model.clip_outputs": 0.0}
    add(**no_derivative_clip, **{"optim.clip_norm": 100.0})  # 1.0 per symbol of a window
    add(**no_derivative_clip)
