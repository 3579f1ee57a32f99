"""Sampling: the jitted scan continues the prime exactly as the model's own
full-sequence forward pass says, at every temperature."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from seqgen import checkpoint, sample
from seqgen.data.vocab import Vocab
from seqgen.models import lstm
from seqgen.models.text import TextModel

VOCAB = Vocab("char", tuple("abcdefgh\n "))
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tiny_model(seed=0):
    return TextModel(VOCAB.size, hidden=16, num_layers=2,
                     opts=lstm.LSTMOptions(init_scale=0.8), rngs=nnx.Rngs(seed))


def full_forward_logits(model, ids):
    logits, _ = model(jnp.asarray(ids)[None], model.init_carry(1))
    return np.asarray(logits[0])


def test_greedy_sampling_follows_the_full_forward_pass():
    model = tiny_model()
    prime = "abc a"
    ids = sample.sample_text(model, VOCAB, prime, 12, 0.0, jax.random.key(0))[0]
    seq = list(VOCAB.encode(prime))
    for t, got in enumerate(ids):
        want = int(np.argmax(full_forward_logits(model, seq)[-1]))
        assert got == want, f"step {t}"
        seq.append(int(got))


def test_sampled_frequencies_match_the_tempered_softmax():
    """First sampled symbol over 4000 samples vs softmax(logits / T)."""
    model = tiny_model(1)
    prime, n, temperature = "ab", 4000, 0.7
    ids = sample.sample_text(model, VOCAB, prime, 1, temperature,
                             jax.random.key(1), num_samples=n)[:, 0]
    logits = full_forward_logits(model, VOCAB.encode(prime))[-1] / temperature
    p = np.exp(logits - logits.max())
    p /= p.sum()
    freq = np.bincount(ids, minlength=VOCAB.size) / n
    # 4 standard errors of a binomial proportion, per symbol.
    np.testing.assert_array_less(np.abs(freq - p), 4 * np.sqrt(p * (1 - p) / n) + 1e-3)


def test_train_then_sample_from_the_command_line(tmp_path):
    env = dict(os.environ)
    workdir = tmp_path / "run"
    run = subprocess.run(
        [sys.executable, "-m", "seqgen.main", "--config=configs/default.py:smoke",
         f"--workdir={workdir}", "--config.num_steps=10", "--config.model.num_layers=3"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    config, _, step = checkpoint.load_run_info(str(workdir))
    assert (config.model.num_layers, step) == (3, 10)  # the override took
    out = subprocess.run(
        [sys.executable, "-m", "seqgen.sample", f"--workdir={workdir}",
         "--prime=ROMEO:", "--length=60", "--temperature=0.8", "--num_samples=1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout.rstrip("\n")
    assert text.startswith("ROMEO:")
    assert len(text) >= len("ROMEO:") + 60 - 5  # newlines may come out as line ends


def test_config_override_errors_name_the_field(tmp_path):
    for override, needle in (("--config.model.num_layerz=3", "num_layerz"),
                             ("--config.model.num_layers=abc", "num_layers")):
        run = subprocess.run(
            [sys.executable, "-m", "seqgen.main", "--config=configs/default.py:smoke",
             f"--workdir={tmp_path}", override],
            cwd=REPO, capture_output=True, text=True, timeout=120)
        assert run.returncode != 0
        last = run.stderr.strip().splitlines()[-1]
        assert needle in last and "Traceback" not in run.stderr, run.stderr[-1000:]
