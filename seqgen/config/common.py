"""The fields every trained kind shares (text, handwriting, synthesis), each
with its unit or typical value.

seqgen/config/text.py and seqgen/config/handwriting.py start from `base()`
and add their kind's fields (data, the rest of model and sample); config
files (configs/*.py) start from those. The 1997 tasks have their own
(seqgen/config/tasks.py). Variants after the colon: seqgen/config/variants.py.
"""

from __future__ import annotations

import ml_collections


def base() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.kind = ""  # experiment kind: seqgen/kinds/<kind>.py (text | handwriting | synthesis)
    c.seed = 0  # params init, data order and sampling all derive from it

    # The deep LSTM of Graves (2013) eqs. 1-5 and 7-11 (seqgen/models/lstm.py).
    c.model = ml_collections.ConfigDict()
    c.model.num_layers = 2  # N stacked LSTM layers (Graves: text 7, handwriting 3)
    c.model.hidden = 256  # H cells per layer (Graves: enwik8 700, handwriting 400)
    # 0 = the input as it is (one-hot symbols, as Graves); else an embedding
    # width. Only the text kind reads it (pen offsets are 3 real numbers).
    c.model.embed_dim = 0
    c.model.skip = True  # input to every layer, every layer to the output
    c.model.peepholes = True  # Graves' diagonal peephole weights
    c.model.forget_bias = 1.0  # initial forget-gate bias (Graves gives none)
    c.model.init_scale = 0.1  # weights ~ U(-0.1, 0.1)
    # Graves clips dL/d(gate pre-activations): text [-1, 1], handwriting [-10, 10]; 0 = off
    c.model.clip_preactivations = 1.0
    c.model.clip_outputs = 100.0  # Graves: clip dL/d(outputs) to [-100, 100]; 0 = off
    c.model.matmul_dtype = "float32"  # 'bfloat16': bf16 matmul inputs, f32 accumulation
    c.model.unroll = 1  # lax.scan unroll factor of the recurrence

    c.optim = ml_collections.ConfigDict()
    c.optim.name = "adam"  # graves_rmsprop | adam | sgd
    # Peak rate, for the gradient of the loss summed over each sequence (a text
    # window, a handwriting line) and averaged over the batch (seqgen/steps.py):
    # Graves' RMSProp and SGD 1e-4; Adam ~2e-3 (Adam ignores the scale).
    c.optim.learning_rate = 2e-3
    c.optim.schedule = "cosine"  # constant | cosine | linear (to 0 at num_steps)
    c.optim.warmup_steps = 0  # linear warm-up steps
    # Global-norm clipping of the parameter gradients, in the same per-sequence
    # units (e.g. 100 for 100-symbol windows = 1.0 per symbol); 0 = off.
    c.optim.clip_norm = 0.0
    c.optim.momentum = 0.9  # Graves' RMSProp momentum; SGD momentum
    c.optim.rms_decay = 0.95  # Graves' RMSProp decay of the running moments
    c.optim.eps = 1e-4  # Graves' RMSProp epsilon, inside the square root

    # Graves (2013) §3.1 regularisers, train step only (seqgen/regularise.py);
    # evaluation and sampling always use the noiseless weights / posterior means.
    c.regularise = ml_collections.ConfigDict()
    c.regularise.name = "none"  # none | weight_noise | adaptive_noise (Graves 2011)
    c.regularise.weight_noise_std = 0.075  # std of N(0, std^2) added to every weight (Graves)
    c.regularise.adaptive_init_std = 0.01  # initial posterior std sigma of every weight
    # Warm start (Graves started each regularised run from the unregularised
    # network): a workdir whose newest checkpoint's params initialise this run
    # (same model and data config); ignored once this run has checkpoints. '' = off.
    c.init_from = ""

    c.batch_size = 32  # B per update (text: streams; handwriting: lines), global,
    # divisible by the device count
    c.num_steps = 3000  # training updates (text: one window of every stream)
    c.eval_batch_size = 32  # B for validation (text: streams, state carried through)
    c.eval_every = 1000  # steps between full validation passes and samples
    c.eval_test = True  # also evaluate the test split at the end
    c.log_every = 100  # steps between progress lines (the only host syncs)
    c.checkpoint_every = 500  # steps between async checkpoints
    c.keep_checkpoints = 3  # newest checkpoints kept
    # A step whose loss or gradients are NaN/Inf is never applied. 'skip': count
    # it and go on, halting after max_consecutive such steps in a row; 'halt':
    # stop at the first one. Either way the checkpoints hold finite parameters.
    c.nonfinite_policy = "skip"  # skip | halt
    c.nonfinite_max_consecutive = 5  # skipped steps in a row before halting

    c.sample = ml_collections.ConfigDict()  # written at every evaluation
    c.sample.length = 400  # symbols (text) or pen points (handwriting) per sample
    c.sample.num_samples = 2  # samples written per evaluation
    return c
