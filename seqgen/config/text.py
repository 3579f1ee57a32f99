"""The fields of a text experiment, each with its unit or typical value.

The fields every trained kind shares (model, optim, regularise, cadence)
are in seqgen/config/common.py; `base()` adds the text ones. Config files
(configs/*.py) start from `base()` and change what their experiment needs;
this keeps the meaning of every field in one place.
"""

from __future__ import annotations

import ml_collections

from seqgen.config import common as common_config


def base() -> ml_collections.ConfigDict:
    c = common_config.base()
    c.kind = "text"  # seqgen/kinds/text.py: next-symbol prediction (Graves §3)

    c.data = ml_collections.ConfigDict()
    c.data.dataset = "shakespeare"  # shakespeare | enwik8 | ptb_char | ptb_word | text_file
    c.data.path = ""  # the UTF-8 file when dataset == 'text_file'
    c.data.level = "char"  # text_file: 'char' (UTF-8; its characters) or 'byte' (any file)
    c.data.data_dir = ""  # TFDS data dir; '' = $SEQGEN_DATA_DIR or ~/tensorflow_datasets
    c.data.manual_dir = ""  # downloaded archives; '' = <data_dir>/downloads/manual
    c.data.split = "standard"  # enwik8: 'standard' 90M/5M/5M or 'graves' 96M/4M
    c.data.valid_fraction = 0.05  # shakespeare/text_file: tail fraction for valid
    c.data.test_fraction = 0.05  # ... and for test
    c.data.reset_every = 0  # zero the carried state every N windows; 0 = never

    c.seq_len = 100  # T symbols per truncated-BPTT window (Graves: 100)
    c.sample.prime = ""  # '' = the first 64 symbols of the validation split
    c.sample.temperature = 1.0  # softmax temperature; 0 = greedy
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


# The variants every text config accepts after the colon (seqgen/config/variants.py):
# `:smoke`, and one of Graves' regularisers, `:weight_noise` or `:adaptive_noise`
# (`:none`, the default, is the unregularised run); e.g. `:weight_noise,smoke`.
VARIANTS = dict(smoke=False, regularise=("none", "weight_noise", "adaptive_noise"))


def regularise(c: ml_collections.ConfigDict, v: ml_collections.ConfigDict,
               init_from: str) -> ml_collections.ConfigDict:
    """Graves' regularised rows: the noise `v.regularise` names, warm-started
    from the unregularised run's workdir `init_from` (not for smoke runs,
    which start afresh so they need nothing else)."""
    if v.regularise != "none":
        c.regularise.name = v.regularise
        c.init_from = "" if v.smoke else init_from
    return c
