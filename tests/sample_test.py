"""Sampling: the jitted scan continues the prime exactly as the model's own
full-sequence forward pass says, at every temperature."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from seqgen.data.vocab import Vocab
from seqgen.models import generate, lstm
from seqgen.models.text import TextModel

VOCAB = Vocab("char", tuple("abcdefgh\n "))


def tiny_model(seed=0):
    return TextModel(VOCAB.size, hidden=16, num_layers=2,
                     opts=lstm.LSTMOptions(init_scale=0.8), rngs=nnx.Rngs(seed))


def full_forward_logits(model, ids):
    logits, _ = model(jnp.asarray(ids)[None], model.init_carry(1))
    return np.asarray(logits[0])


def test_greedy_sampling_follows_the_full_forward_pass():
    model = tiny_model()
    prime = "abc a"
    ids = generate.sample_text(model, VOCAB, prime, 12, 0.0, jax.random.key(0))[0]
    seq = list(VOCAB.encode(prime))
    for t, got in enumerate(ids):
        want = int(np.argmax(full_forward_logits(model, seq)[-1]))
        assert got == want, f"step {t}"
        seq.append(int(got))


def test_sampled_frequencies_match_the_tempered_softmax():
    """First sampled symbol over 4000 samples vs softmax(logits / T)."""
    model = tiny_model(1)
    prime, n, temperature = "ab", 4000, 0.7
    ids = generate.sample_text(model, VOCAB, prime, 1, temperature,
                             jax.random.key(1), num_samples=n)[:, 0]
    logits = full_forward_logits(model, VOCAB.encode(prime))[-1] / temperature
    p = np.exp(logits - logits.max())
    p /= p.sum()
    freq = np.bincount(ids, minlength=VOCAB.size) / n
    # 4 standard errors of a binomial proportion, per symbol.
    np.testing.assert_array_less(np.abs(freq - p), 4 * np.sqrt(p * (1 - p) / n) + 1e-3)


def test_noise_drawn_ahead_in_chunks_gives_the_draws_of_each_steps_own_key(monkeypatch):
    """Step t samples jax.random.categorical(split(rng, L)[t], logits / T),
    whatever the chunking of the noise (NOISE_CHUNK) and the padding of the
    last chunk."""
    model = tiny_model(2)
    prime, length, temperature, rng = "ab a", 7, 0.9, jax.random.key(3)
    seq = np.tile(np.asarray(VOCAB.encode(prime)), (3, 1))
    keys = jax.random.split(rng, length)
    for t in range(length):
        logits, _ = model(jnp.asarray(seq), model.init_carry(3))
        nxt = jax.random.categorical(keys[t], logits[:, -1] / temperature)
        seq = np.concatenate([seq, np.asarray(nxt)[:, None]], 1)
    want = seq[:, -length:]
    for chunk in (3, 7, 100):  # padded last chunk, one chunk, one short chunk
        monkeypatch.setattr(generate, "NOISE_CHUNK", chunk)
        generate._generate.clear_cache()  # the chunk is read at trace time
        got = generate.sample_text(model, VOCAB, prime, length, temperature, rng,
                                   num_samples=3)
        np.testing.assert_array_equal(got, want, err_msg=f"NOISE_CHUNK={chunk}")
