"""The fields of a text experiment, each with its unit or typical value.

Config files (configs/*.py) start from `base()` and change what their
experiment needs; this keeps the meaning of every field in one place.
"""

from __future__ import annotations

import ml_collections


def base() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.kind = "text"  # experiment kind: seqgen/kinds/<kind>.py
    c.seed = 0  # params init, data order and sampling all derive from it

    c.data = ml_collections.ConfigDict()
    c.data.dataset = "shakespeare"  # shakespeare | enwik8 | ptb_char | ptb_word | text_file
    c.data.path = ""  # the UTF-8 file when dataset == 'text_file'
    c.data.data_dir = ""  # TFDS data dir; '' = $SEQGEN_DATA_DIR or ~/tensorflow_datasets
    c.data.manual_dir = ""  # downloaded archives; '' = <data_dir>/downloads/manual
    c.data.split = "standard"  # enwik8: 'standard' 90M/5M/5M or 'graves' 96M/4M
    c.data.valid_fraction = 0.05  # shakespeare/text_file: tail fraction for valid
    c.data.test_fraction = 0.05  # ... and for test
    c.data.reset_every = 0  # zero the carried state every N windows; 0 = never

    c.model = ml_collections.ConfigDict()
    c.model.num_layers = 2  # N stacked LSTM layers (Graves text: 7)
    c.model.hidden = 256  # H cells per layer (Graves enwik8: 700)
    c.model.embed_dim = 0  # 0 = one-hot input as Graves; else an embedding width
    c.model.skip = True  # input to every layer, every layer to the output
    c.model.peepholes = True  # Graves' diagonal peephole weights
    c.model.forget_bias = 1.0  # initial forget-gate bias (Graves gives none)
    c.model.init_scale = 0.1  # weights ~ U(-0.1, 0.1)
    c.model.clip_preactivations = 1.0  # Graves: clip dL/d(gate pre-act.) to [-1, 1]; 0 = off
    c.model.clip_outputs = 100.0  # Graves: clip dL/d(logits) to [-100, 100]; 0 = off
    c.model.matmul_dtype = "float32"  # 'bfloat16': bf16 matmul inputs, f32 accumulation
    c.model.unroll = 1  # lax.scan unroll factor of the recurrence

    c.optim = ml_collections.ConfigDict()
    c.optim.name = "adam"  # graves_rmsprop | adam | sgd
    c.optim.learning_rate = 2e-3  # peak; Graves' RMSProp: 1e-4
    c.optim.schedule = "cosine"  # constant | cosine | linear (to 0 at num_steps)
    c.optim.warmup_steps = 0  # linear warm-up steps
    c.optim.clip_norm = 0.0  # global-norm clipping of parameter grads; 0 = off
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

    c.batch_size = 32  # B global streams (divisible by the device count)
    c.seq_len = 100  # T symbols per truncated-BPTT window (Graves: 100)
    c.num_steps = 3000  # training windows (updates)
    c.eval_batch_size = 32  # streams for validation, state carried through
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

    c.sample = ml_collections.ConfigDict()
    c.sample.prime = ""  # '' = the first 64 symbols of the validation split
    c.sample.length = 400  # symbols generated at each evaluation
    c.sample.temperature = 1.0  # softmax temperature; 0 = greedy
    c.sample.num_samples = 2  # samples written per evaluation
    return c


def smoke(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """Seconds-long variant of any text config: tiny model, few steps."""
    c.model.num_layers = 2
    c.model.hidden = 32
    c.batch_size = 8
    c.eval_batch_size = 8
    c.seq_len = 32
    c.num_steps = 20
    c.eval_every = 10
    c.log_every = 5
    c.checkpoint_every = 10
    c.sample.length = 40
    return c


REGULARISED = ("weight_noise", "adaptive_noise")


def variants(arg: str | None, allowed: tuple[str, ...], path: str) -> set[str]:
    """The comma-separated variant names after the colon of --config=PATH:a,b.

    One grammar for every config file: e.g. ':weight_noise,smoke' is the
    smoke-sized weight-noise run, in any order.
    """
    names = {t.strip() for t in (arg or "").split(",") if t.strip()}
    unknown = sorted(names - set(allowed))
    if unknown:
        raise ValueError(f"unknown variant {','.join(unknown)!r} of {path}; use ':' and a "
                         f"comma-separated subset of {', '.join(allowed)} "
                         "(e.g. ':weight_noise,smoke')")
    if len(names & set(REGULARISED)) > 1:
        raise ValueError(f"{path}: choose one of {', '.join(REGULARISED)}, not both")
    return names


def regularise(c: ml_collections.ConfigDict, names: set[str],
               init_from: str) -> ml_collections.ConfigDict:
    """Graves' regularised rows: the named noise, warm-started from the
    unregularised run's workdir `init_from` (not for smoke runs, which
    start afresh so they need nothing else)."""
    for name in names & set(REGULARISED):
        c.regularise.name = name
        c.init_from = "" if "smoke" in names else init_from
    return c
