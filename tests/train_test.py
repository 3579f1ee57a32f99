"""End to end: training on the embedded corpus learns, a resumed run is bit
for bit the uninterrupted one, and 8 devices give the 1-device losses."""

import json
import math

import jax
import numpy as np
import pytest
from flax import nnx

from seqgen import checkpoint, kinds, train
from seqgen.config.text import base, smoke
from seqgen.data import text as text_data


def tiny_config(**over):
    c = smoke(base())
    c.num_steps = 24
    c.checkpoint_every = 8
    c.eval_every = 24
    c.log_every = 4
    c.eval_test = False
    c.optim.schedule = "cosine"
    c.update(over)
    return c


def train_losses(workdir):
    rows = [json.loads(l) for l in open(f"{workdir}/metrics.jsonl")]
    return {r["step"]: r["loss"] for r in rows if r["split"] == "train"}


def final_params(workdir, config):
    config_, meta, step = checkpoint.load_run_info(str(workdir))
    model = kinds.make(config_, meta).build_model(nnx.Rngs(123))  # other init
    checkpoint.restore_params(str(workdir), step, model)
    return step, jax.tree.leaves(nnx.state(model, nnx.Param))


def unigram_bits(train_ids, valid_ids, vocab_size):
    """Bits per symbol of the best context-free model fitted on train: the
    bar any model that uses context must clear."""
    counts = np.bincount(train_ids, minlength=vocab_size) + 1.0
    p = counts / counts.sum()
    return float(-np.mean(np.log2(p[valid_ids])))


@pytest.mark.slow  # end to end: python -m pytest -q -m slow tests
def test_training_on_the_embedded_corpus_beats_a_unigram_model(tmp_path):
    c = base()
    c.model.hidden = 128
    c.batch_size = 32
    c.eval_batch_size = 64
    c.seq_len = 50
    c.num_steps = 300
    c.eval_every = 300
    c.log_every = 50
    c.checkpoint_every = 300
    c.optim.learning_rate = 4e-3
    c.sample.length = 100
    summary = train.train_and_evaluate(c, str(tmp_path))

    splits = text_data.load_text(c.data)
    bar = unigram_bits(splits.train, splits.valid, splits.vocab.size)
    # The unigram bar on this corpus is 4.90 bits. A char LSTM that uses
    # context gets well under it within a few hundred steps (2x128, measured
    # here: 3.37 bits after 300 steps of 32x50 chars); a model that ignored
    # its input could at best reach the bar, and a broken one lands above.
    assert summary["valid"]["bpc"] < bar - 1.0, (summary, bar)
    assert summary["step"] == 300
    samples = list((tmp_path / "samples").glob("step_*.txt"))
    assert samples and len(samples[0].read_text()) > 100
    assert (tmp_path / "summary.json").exists()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_resume_is_bit_identical(tmp_path, monkeypatch):
    c = tiny_config()
    train.train_and_evaluate(c, str(tmp_path / "straight"))

    # The second run dies at step 13: its newest checkpoint is step 8.
    real = kinds.make(c).__class__.train_batch

    def dying(self, step, *a):
        if step == 13:
            raise KeyboardInterrupt("simulated crash")
        return real(self, step, *a)

    monkeypatch.setattr(kinds.make(c).__class__, "train_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        train.train_and_evaluate(c, str(tmp_path / "resumed"))
    monkeypatch.undo()
    assert checkpoint.Checkpointer(str(tmp_path / "resumed"), keep=3, every=1
                                   ).latest_step() == 8
    train.train_and_evaluate(c, str(tmp_path / "resumed"))

    straight, resumed = train_losses(tmp_path / "straight"), train_losses(tmp_path / "resumed")
    assert set(straight) == {1, 4, 8, 12, 16, 20, 24}
    for step in (12, 16, 20, 24):  # 12 was logged by both lives; the later ones
        assert resumed[step] == straight[step], step  # by the resumed run alone
    s1, p1 = final_params(tmp_path / "straight", c)
    s2, p2 = final_params(tmp_path / "resumed", c)
    assert s1 == s2 == 24
    for a, b in zip(p1, p2, strict=True):
        np.testing.assert_array_equal(a, b)


def test_eight_devices_match_one(tmp_path):
    assert jax.device_count() == 8, "conftest sets 8 fake CPU devices"
    c = tiny_config(num_steps=8, log_every=2, eval_every=8)
    one = train.train_and_evaluate(c, str(tmp_path / "one"), devices=jax.devices()[:1])
    eight = train.train_and_evaluate(c, str(tmp_path / "eight"))
    l1, l8 = train_losses(tmp_path / "one"), train_losses(tmp_path / "eight")
    assert l1.keys() == l8.keys()
    for step in l1:
        assert math.isclose(l1[step], l8[step], rel_tol=1e-5), (step, l1[step], l8[step])
    assert math.isclose(one["valid"]["bpc"], eight["valid"]["bpc"], rel_tol=1e-5)


def test_batch_not_divisible_by_devices_names_the_setting(tmp_path):
    c = tiny_config(batch_size=12)
    with pytest.raises(ValueError, match=r"config.batch_size=12 .* 8 devices"):
        train.train_and_evaluate(c, str(tmp_path))


def test_resume_with_a_different_model_is_refused(tmp_path):
    c = tiny_config(num_steps=8)
    train.train_and_evaluate(c, str(tmp_path))
    c2 = tiny_config(num_steps=16)
    c2.model.hidden = 48
    with pytest.raises(ValueError, match=r"model.hidden: 32 -> 48"):
        train.train_and_evaluate(c2, str(tmp_path))


def test_impossible_value_names_the_field(tmp_path):
    c = tiny_config()
    c.model.num_layers = 0
    with pytest.raises(ValueError, match=r"config.model.num_layers=0"):
        train.train_and_evaluate(c, str(tmp_path))

