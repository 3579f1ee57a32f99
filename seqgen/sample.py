"""Sampling from a trained model, and the `python -m seqgen.sample` CLI.

  python -m seqgen.sample --workdir=DIR --prime="ROMEO:" --length=500 \
      --temperature=0.8

The whole generation is one jitted lax.scan: the prime runs through the
network in one call, then each step feeds its own sample back in. There is
no Python loop per symbol.

Dimension letters: B samples, P prime length, L generated length, V vocab.
"""

from __future__ import annotations

import functools
import sys

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags
from flax import nnx

from seqgen.errors import UserError


@functools.partial(jax.jit, static_argnums=(0, 4))
def _generate(graphdef, params, prime_BxP, rng, length, temperature):
    model = nnx.merge(graphdef, params)
    carry = model.init_carry(prime_BxP.shape[0])
    if prime_BxP.shape[1] > 1:
        _, carry = model(prime_BxP[:, :-1], carry)

    def step(state, key):
        carry, last_B = state
        logits_Bx1xV, carry = model(last_B[:, None], carry)
        logits_BxV = logits_Bx1xV[:, 0]
        # temperature 0 means greedy decoding.
        sampled_B = jax.random.categorical(
            key, logits_BxV / jnp.maximum(temperature, 1e-6))
        next_B = jnp.where(temperature > 0, sampled_B, jnp.argmax(logits_BxV, -1))
        return (carry, next_B.astype(last_B.dtype)), next_B

    keys = jax.random.split(rng, length)
    _, ids_LxB = jax.lax.scan(step, (carry, prime_BxP[:, -1]), keys)
    return ids_LxB.T


def sample_text(model: nnx.Module, vocab, prime: str, length: int,
                temperature: float, rng: jax.Array, num_samples: int = 1
                ) -> np.ndarray:
    """Continue `prime` by `length` sampled symbols: int32[num_samples, length]."""
    if not prime:
        raise UserError("--prime is empty; give at least one symbol to start from")
    prime_P = vocab.encode(prime)
    prime_BxP = jnp.asarray(np.tile(prime_P[None], (num_samples, 1)), jnp.int32)
    graphdef, params = nnx.split(model)
    ids = _generate(graphdef, params, prime_BxP, rng, int(length),
                    jnp.float32(temperature))
    return np.asarray(jax.device_get(ids))


def newline_or_first_symbol(vocab) -> str:
    try:
        vocab.encode("\n")
        return "\n"
    except ValueError:
        return vocab.decode([0])


# -- CLI ----------------------------------------------------------------------

def _define_flags() -> None:
    # Defined only when run as a CLI: seqgen.main imports this module too.
    flags.DEFINE_string("workdir", None, "Training workdir holding checkpoints/.")
    flags.DEFINE_string("prime", "", "Text to start from ('' = a newline or the "
                        "first vocabulary symbol).")
    flags.DEFINE_integer("length", 500, "Symbols to generate.")
    flags.DEFINE_float("temperature", 1.0, "Softmax temperature; 0 = greedy.")
    flags.DEFINE_integer("num_samples", 1, "Independent samples, generated in one batch.")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")


FLAGS = flags.FLAGS


def main(argv):
    del argv
    from seqgen import checkpoint, kinds  # only the CLI needs them

    try:
        config, meta, step = checkpoint.load_run_info(FLAGS.workdir, FLAGS.step)
        kind = kinds.make(config, meta)
        model = kind.build_model(nnx.Rngs(0))
        checkpoint.restore_params(FLAGS.workdir, step, model)
        prime = FLAGS.prime or newline_or_first_symbol(kind.vocab)
        ids = sample_text(model, kind.vocab, prime, FLAGS.length, FLAGS.temperature,
                          jax.random.key(FLAGS.seed), FLAGS.num_samples)
    except UserError as e:
        sys.exit(f"FATAL {e}")
    for i, row in enumerate(ids):
        if FLAGS.num_samples > 1:
            print(f"=== sample {i} (step {step}) ===")
        print(prime + kind.vocab.decode(row))


if __name__ == "__main__":
    _define_flags()
    flags.mark_flag_as_required("workdir")
    app.run(main)
