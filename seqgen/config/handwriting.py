"""The fields of a handwriting experiment, each with its unit or typical value.

The fields every trained kind shares (model, optim, regularise, cadence)
are in seqgen/config/common.py; `base()` adds the handwriting ones and
`synthesis_base()` those of the soft window. Config files
(configs/handwriting.py, iam_prediction.py, synthesis.py, iam_synthesis.py)
start from them.
"""

from __future__ import annotations

import ml_collections

from seqgen.command import flag_checks as fc
from seqgen.config import common as common_config

# Graves' sampling bias b (eqs. 61-62), with one default and one range for
# every command, the web page, its API and the evaluations: 0 samples the
# model's own distribution; a larger b narrows every Gaussian and favours
# the likeliest component (tidier, less varied writing). 0.75 is tidy and
# still varied with the shipped writer; the legibility tables measure 0-2.
# Beyond 10 the mixture has long collapsed onto its likeliest stroke.
BIAS = 0.75
BIAS_MAX = 10.0
# Every --bias flag's check (seqgen/command/flag_checks.py).
check_bias = fc.between(0.0, BIAS_MAX, f"Graves' sampling bias: 0 = the model's own variety, "
                                       f"{BIAS} is tidy")


def lines_base() -> ml_collections.ConfigDict:
    """The fields of every kind trained on lines of handwriting."""
    c = common_config.base()

    c.data = ml_collections.ConfigDict()
    c.data.dataset = "drawn"  # drawn (embedded: single-line fonts) | iam_ondb
    c.data.data_dir = ""  # TFDS data dir; '' = $SEQGEN_DATA_DIR or ~/tensorflow_datasets
    c.data.manual_dir = ""  # iam_ondb archives; '' = <data_dir>/downloads/manual/iam_ondb
    c.data.split = "standard"  # iam_ondb: 'standard' or 'graves' (train + testset_t + testset_f)
    c.data.max_jump = 0.0  # iam_ondb: split strokes at longer jumps (raw units); 0 = default
    c.data.cleaning = "split"  # iam_ondb: 'split' (glitch = pen-up move) or 'graves' (§4)
    c.data.seed = 0  # drawn: generation seed (lines, fonts, styles)
    c.data.num_train = 6000  # drawn: training lines (IAM-OnDB has ~5,400 in trainset)
    c.data.num_valid = 300  # drawn: validation lines (text never seen in training)
    c.data.num_test = 300  # drawn: test lines
    c.data.max_chars = 50  # drawn: text lines of max_chars/2..max_chars characters
    c.data.fonts = "hershey_script,ems_allure,ems_elfin,ems_nixish_italic"  # drawn; 'all' = 7
    # drawn: what the lines say (seqgen/data/drawn_mix.py): 'shakespeare' (the
    # lines of every earlier version) or 'mixed': Shakespeare, modern prose (the
    # Jargon File) and generated phrases with dates, amounts, times and numbers,
    # with digits and their symbols in the alphabet.
    c.data.texts = "shakespeare"
    c.data.prose_fraction = 0.3  # drawn, texts='mixed': fraction of lines of modern prose (0-1)
    c.data.numbers_fraction = 0.3  # drawn, texts='mixed': fraction of number phrases (0-1)
    # drawn: a population of writers (seqgen/data/writers.py): training writers,
    # 0 = the legacy lines (fonts in turn, a fresh style per line); e.g. 300
    # with fonts = 'all'. Validation and test lines get writers of their own.
    c.data.writers = 0
    c.data.valid_writers = 20  # drawn, writers > 0: validation writers (never trained on)
    c.data.test_writers = 20  # drawn, writers > 0: test writers (never trained on)
    c.data.points_per_char = 25.0  # drawn: mean pen points per character (IAM-OnDB: ~25)
    c.data.max_points = 1000  # longest line kept, points; longer lines are dropped and counted
    c.data.bucket = 100  # padded batch lengths are multiples of this (few compiled shapes)
    c.data.augment = False  # random slant/scale/rotation of training lines
    # drawn: each training letter's shape varied (0 = the fonts' own shapes;
    # ~0.15: a reader learns letters, not a few fonts' drawings of them).
    c.data.glyph_warp = 0.0
    # drawn: probability that a training stroke is reversed, and that two
    # neighbouring ones swap (0 = the writing order; ~0.3 for a reader).
    c.data.stroke_shuffle = 0.0
    # drawn: 'font' draws the single-line SVG fonts' strokes as the files do
    # (for plotters: an 's' from its foot, stems upwards), as every earlier
    # run did; 'writing' in a writer's order and direction.
    c.data.stroke_order = "font"
    # drawn: draw the training lines anew every epoch (same texts and writers,
    # new ink: nothing to memorise); validation, test and the statistics stay
    # epoch 0's. A dataset that cannot redraw (iam_ondb) refuses True.
    c.data.redraw_every_epoch = False
    # Writers (drawn: font names, or writer ids such as 'train-w0042' when
    # data.writers > 0; IAM: writer ids), comma-separated, whose lines
    # are left out of training but kept in validation and test: a hand never seen.
    c.data.held_out_writers = ""

    c.model.num_layers = 3  # Graves: 3
    c.model.hidden = 400  # Graves: 400
    c.model.clip_preactivations = 10.0  # Graves: dL/d(LSTM pre-activations) in [-10, 10]

    c.optim.name = "graves_rmsprop"  # Graves (2013) §4
    c.optim.learning_rate = 1e-4  # Graves' handwriting lr
    c.optim.schedule = "constant"

    # batch_size and eval_batch_size count whole lines: no fixed windows here.
    c.sample.length = 700  # points per sampled line (an IAM line has ~700)
    c.sample.bias = BIAS  # sampling bias b of the lines drawn at evaluations
    c.sample.num_samples = 4  # lines drawn at each evaluation
    return c


def base() -> ml_collections.ConfigDict:
    """Handwriting prediction (Graves §4)."""
    c = lines_base()
    c.kind = "handwriting"  # seqgen/kinds/handwriting.py: prediction (Graves §4)
    c.model.num_mixtures = 20  # M bivariate Gaussians (Graves: 20)
    return c


def synthesis_base() -> ml_collections.ConfigDict:
    """Handwriting synthesis (Graves §5): prediction plus the soft window."""
    c = base()
    c.kind = "synthesis"  # seqgen/kinds/synthesis.py
    c.data.reduced_alphabet = False  # Graves' reduced alphabet (non-letters -> one class)
    c.data.char_bucket = 16  # padded text lengths are multiples of this
    c.model.num_window = 10  # K Gaussian window components (Graves: 10)
    c.model.points_per_char = 25.0  # initial window speed: kappa += ~1/25 per point
    c.sample.points_per_char_cap = 40.0  # length cap when writing: 40 points a character
    # A recognition run (configs/recognition.py) that reads back the texts
    # written at every evaluation: written_cer / written_wer; '' = off.
    c.eval = ml_collections.ConfigDict()
    c.eval.recogniser = ""  # workdir of a recognition run; '' = off
    return c


def recognition_base() -> ml_collections.ConfigDict:
    """Online handwriting recognition (Graves et al. 2009): a deep
    bidirectional LSTM over the pen offsets, CTC over the alphabet."""
    c = lines_base()
    c.kind = "recognition"  # seqgen/kinds/recognition.py
    c.data.reduced_alphabet = False  # Graves' reduced alphabet (non-letters -> one class)
    c.data.char_bucket = 16  # padded text lengths are multiples of this
    c.model.num_layers = 2  # bidirectional layers
    c.model.hidden = 128  # cells per direction (Graves 2009: 100)
    c.model.points_per_frame = 1  # consecutive points read as one step (fewer steps)
    c.model.clip_preactivations = 0.0  # no derivative clipping; the global norm below
    c.optim.name = "adam"
    c.optim.learning_rate = 1e-3
    # Global norm of the per-line gradient (seqgen/steps.py).
    c.optim.clip_norm = 100.0
    c.sample.num_samples = 8  # validation lines whose reading is logged at evaluations
    return c


def smoke(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """Seconds-long variant: tiny model, few lines, few steps."""
    c.model.num_layers = 2
    c.model.hidden = 32
    if "num_mixtures" in c.model:
        c.model.num_mixtures = 3
    c.data.num_train = 64
    c.data.num_valid = 16
    c.data.num_test = 16
    c.data.max_points = 1000
    c.data.max_chars = 20
    c.batch_size = 8
    c.eval_batch_size = 8
    c.num_steps = 12
    c.eval_every = 6
    c.log_every = 3
    c.checkpoint_every = 6
    c.sample.length = 50
    c.sample.num_samples = 2
    return c
