"""Sampling from a trained model, and the `python -m seqgen.sample` CLI.

  python -m seqgen.sample --workdir=DIR --prime="ROMEO:" --length=500 \
      --temperature=0.8
  python -m seqgen.sample --workdir=DIR --num=8 --bias=0.5 --out=lines.svg

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
from seqgen.models import mdn


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


@functools.partial(jax.jit, static_argnums=(0, 3, 4))
def _generate_strokes(graphdef, params, start_3, num, length, bias, rng):
    model = nnx.merge(graphdef, params)
    x_Bx3 = jnp.broadcast_to(start_3, (num, 3))

    def step(state, key):
        carry, x_Bx3 = state
        y_Bx1xK, carry = model(x_Bx3[:, None], carry)
        x_Bx3 = mdn.sample(key, y_Bx1xK[:, 0], bias)
        return (carry, x_Bx3), x_Bx3

    keys = jax.random.split(rng, length)
    _, x_LxBx3 = jax.lax.scan(step, (model.init_carry(num), x_Bx3), keys)
    return jnp.swapaxes(x_LxBx3, 0, 1)


def sample_strokes(model: nnx.Module, start_3: np.ndarray, num: int, length: int,
                   bias: float, rng: jax.Array) -> np.ndarray:
    """`num` pen trajectories of `length` points from a mixture density model,
    starting from the (normalised) input `start_3`: float32[num, length, 3],
    normalised offsets with sampled end-of-stroke flags. Bias b sharpens the
    mixture as Graves eqs. 61-62 (0 = the model's own distribution)."""
    graphdef, params = nnx.split(model)
    x = _generate_strokes(graphdef, params, jnp.asarray(start_3, jnp.float32), int(num),
                          int(length), jnp.float32(bias), rng)
    return np.asarray(jax.device_get(x))


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
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")
    flags.DEFINE_integer("num", 1, "Samples, generated in one batch.")
    flags.DEFINE_integer("length", None, "Symbols (text) or points (handwriting) to "
                         "generate; default: the config's sample.length.")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("prime", "", "Text: the text to continue ('' = a newline).")
    flags.DEFINE_float("temperature", 1.0, "Text: softmax temperature; 0 = greedy.")
    flags.DEFINE_float("bias", 0.0, "Handwriting: sampling bias b (Graves eqs. 61-62).")
    flags.DEFINE_string("out", "", "Handwriting: output file; .svg and .png are written.")


FLAGS = flags.FLAGS


def main(argv):
    del argv
    from seqgen import checkpoint, kinds  # only the CLI needs them

    opts = {k: FLAGS[k].value for k in ("num", "length", "seed", "prime", "temperature",
                                          "bias", "out")}
    try:
        config, meta, step = checkpoint.load_run_info(FLAGS.workdir, FLAGS.step)
        kind = kinds.make(config, meta)
        model = kind.build_model(nnx.Rngs(0))
        checkpoint.restore_params(FLAGS.workdir, step, model)
        print(kind.sample_command(model, opts))
    except UserError as e:
        sys.exit(f"FATAL {e}")


if __name__ == "__main__":
    _define_flags()
    flags.mark_flag_as_required("workdir")
    app.run(main)
