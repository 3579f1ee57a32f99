"""Generation scans: text, pen strokes, and handwriting synthesis with the stop rule.

The kinds sample through these; `python -m seqgen.sample` and
`python -m seqgen.write` are the command lines. The whole generation is one
jitted lax.scan: the prime runs through the network in one call, then each
step feeds its own sample back in. There is no Python loop per symbol (or
point); handwriting synthesis (write_strokes) stops rows early by masking
inside the scan.

Dimension letters: B samples, P prime length, L generated length, V vocab,
U characters of the text to write, K window components.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from seqgen.command.errors import UserError
from seqgen.models import mdn, window

# Sampling draws its Gumbel noise this many steps at a time, outside the
# step: drawn inside every step (64 rows x 205 symbols), the noise made the
# 2x512 text step 13% slower than argmax; drawn for 100 steps in one
# vectorised call, the batch-64 step took 6-9% less time and batch 1 11%
# less (interleaved A/Bs), with the very same numbers (each step still
# draws from its own key). Drawing all L steps at once was 4% slower (the
# noise leaves the cache) and would hold L x B x V floats.
NOISE_CHUNK = 100


def chunked_noise_scan(step, state, keys_L, draw):
    """lax.scan(step, state, [draw(k) for k in keys_L]) with the draws made
    for about NOISE_CHUNK steps at once. The last chunk is padded by
    repeating keys (fewer than L / NOISE_CHUNK + 1 extra steps, whose
    outputs are dropped; the returned state then includes them)."""
    length = keys_L.shape[0]
    n = -(-length // NOISE_CHUNK)
    c = -(-length // n)
    keys = jnp.concatenate([keys_L, keys_L[:n * c - length]]) if n * c > length else keys_L

    def chunk(state, keys_C):
        return jax.lax.scan(step, state, jax.vmap(draw)(keys_C))

    state, ys = jax.lax.scan(chunk, state, keys.reshape(n, c, *keys.shape[1:]))
    return state, jax.tree.map(lambda a: a.reshape(n * c, *a.shape[2:])[:length], ys)


@functools.partial(jax.jit, static_argnums=(0, 4))
def _generate(graphdef, params, prime_BxP, rng, length, temperature):
    model = nnx.merge(graphdef, params)
    B = prime_BxP.shape[0]
    carry = model.init_carry(B)
    if prime_BxP.shape[1] > 1:
        _, carry = model(prime_BxP[:, :-1], carry)

    def step(state, gumbel_BxV):
        carry, last_B = state
        logits_Bx1xV, carry = model(last_B[:, None], carry)
        logits_BxV = logits_Bx1xV[:, 0]
        # jax.random.categorical(key, l) is argmax(l + gumbel(key)): the same
        # draw, with the noise made ahead. Temperature 0 means greedy decoding.
        sampled_B = jnp.argmax(logits_BxV / jnp.maximum(temperature, 1e-6) + gumbel_BxV, -1)
        next_B = jnp.where(temperature > 0, sampled_B, jnp.argmax(logits_BxV, -1))
        return (carry, next_B.astype(last_B.dtype)), next_B

    V = model.vocab_size
    keys = jax.random.split(rng, length)
    _, ids_LxB = chunked_noise_scan(step, (carry, prime_BxP[:, -1]), keys,
                                    lambda k: jax.random.gumbel(k, (B, V), jnp.float32))
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


PRIME_BUCKET = 64  # primes are padded to a multiple of this: few compiles for any prime


@functools.partial(jax.jit, static_argnums=(0,))
def _prime_carry(graphdef, params, prime_P, mask_P):
    """The carry after reading prime_P where mask_P is set (one row)."""
    model = nnx.merge(graphdef, params)

    def step(carry, x):
        sym, keep = x
        _, new = model(sym[None, None], carry)
        return jax.tree.map(lambda n, o: jnp.where(keep, n, o), new, carry), None

    carry, _ = jax.lax.scan(step, model.init_carry(1), (prime_P, mask_P))
    return carry


@functools.partial(jax.jit, static_argnums=(0, 4))
def _continue(graphdef, params, carry, last_1, length, temperature, rng):
    model = nnx.merge(graphdef, params)

    def step(state, key):
        carry, last_1 = state
        logits_1x1xV, carry = model(last_1[:, None], carry)
        logits_1xV = logits_1x1xV[:, 0]
        sampled = jax.random.categorical(key, logits_1xV / jnp.maximum(temperature, 1e-6))
        next_1 = jnp.where(temperature > 0, sampled, jnp.argmax(logits_1xV, -1))
        return (carry, next_1.astype(last_1.dtype)), next_1[0]

    (carry, last_1), ids_L = jax.lax.scan(step, (carry, last_1), jax.random.split(rng, length))
    return carry, last_1, ids_L


def text_chunks(model: nnx.Module, vocab, prime: str, length: int, temperature: float,
                rng: jax.Array, chunk: int = 32) -> Iterator[str]:
    """Continue `prime` by `length` symbols, yielding the text chunk by chunk
    (the carry passes from one jitted call to the next, so a browser sees
    characters as they are sampled). Compiles once per PRIME_BUCKET of
    prime length and once for `chunk`."""
    if not prime:
        raise UserError("the prime is empty; give at least one symbol to start from")
    ids_P = np.asarray(vocab.encode(prime), np.int32)
    pad = -(-max(len(ids_P) - 1, 1) // PRIME_BUCKET) * PRIME_BUCKET
    head = np.zeros(pad, np.int32)
    head[:len(ids_P) - 1] = ids_P[:-1]
    mask = np.arange(pad) < len(ids_P) - 1
    graphdef, params = nnx.split(model)
    carry = _prime_carry(graphdef, params, jnp.asarray(head), jnp.asarray(mask))
    last = jnp.asarray(ids_P[-1:], jnp.int32)
    ids: list[int] = []
    sent = 0
    for i in range(0, int(length), chunk):
        carry, last, new = _continue(graphdef, params, carry, last, chunk,
                                     jnp.float32(temperature), jax.random.fold_in(rng, i))
        ids += np.asarray(jax.device_get(new))[:min(chunk, length - i)].tolist()
        # A byte vocabulary can end a chunk inside a UTF-8 character: hold
        # back up to 3 symbols until they decode.
        text, hold = vocab.decode(ids), 0
        while text.endswith("\ufffd") and hold < 3 and i + chunk < length:
            hold += 1
            text = vocab.decode(ids[:len(ids) - hold])
        yield text[sent:]
        sent = len(text)


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


@functools.partial(jax.jit, static_argnums=(0, 9))
def _write(graphdef, params, start_3, chars_BxU, char_mask_BxU, bias_B, rng, prime_BxPx3,
           prime_kappa, max_points):
    model = nnx.merge(graphdef, params)
    B = chars_BxU.shape[0]
    carry = model.init_carry(B)
    if prime_BxPx3 is None:
        x_Bx3 = jnp.broadcast_to(start_3, (B, 3))
    else:
        # Teacher forcing over the prime; its last point is the first input of the
        # scan, exactly as it would be the next input in training.
        if prime_BxPx3.shape[1] > 1:
            _, carry, _, _ = model(prime_BxPx3[:, :-1], chars_BxU, char_mask_BxU, carry)
        carry = carry._replace(kappa=jnp.maximum(carry.kappa, prime_kappa))
        x_Bx3 = prime_BxPx3[:, -1]

    def step(state, key):
        carry, x_Bx3, done_B = state
        # One point: each layer is one matmul (SynthesisModel._first_step).
        out = model.run(x_Bx3[:, None], chars_BxU, char_mask_BxU, carry)
        p = window.WindowParams(*(a[:, 0] for a in out.window))
        done_B = done_B | window.should_stop(p, char_mask_BxU)
        live_B = ~done_B
        x_Bx3 = jnp.where(live_B[:, None], mdn.sample(key, out.y[:, 0], bias_B), 0.0)
        # A finished row keeps its state and emits zeros from the step the rule fired.
        carry = jax.tree.map(lambda new, old: jnp.where(
            live_B.reshape((-1,) + (1,) * (new.ndim - 1)), new, old), out.carry, carry)
        phi_BxU = jnp.where(live_B[:, None], out.phi[:, 0], 0.0)
        kappa_BxK = jnp.where(live_B[:, None], p.kappa, 0.0)
        return (carry, x_Bx3, done_B), (x_Bx3, phi_BxU, kappa_BxK, live_B)

    keys = jax.random.split(rng, max_points)
    state = (carry, x_Bx3, jnp.zeros((B,), bool))
    (_, _, done_B), (x_LxBx3, phi_LxBxU, kappa_LxBxK, live_LxB) = jax.lax.scan(
        step, state, keys)
    sw = lambda a: jnp.swapaxes(a, 0, 1)  # noqa: E731
    return {"strokes_BxLx3": sw(x_LxBx3), "length_B": jnp.sum(live_LxB, axis=0),
            "stopped_B": done_B, "phi_BxLxU": sw(phi_LxBxU), "kappa_BxLxK": sw(kappa_LxBxK)}


def write_strokes(model: nnx.Module, start_3: np.ndarray, chars_BxU: np.ndarray,
                  char_mask_BxU: np.ndarray, *, bias: float | np.ndarray, max_points: int,
                  rng: jax.Array, prime_x_PxBx3: np.ndarray | None = None,
                  prime_chars: int = 0) -> dict:
    """Write each row's text with a SynthesisModel (Graves §5): one jitted scan
    of max_points steps.

    start_3: the normalised first input (the normalised zero offset, as
    kinds/handwriting.py builds it); chars_BxU int ids padded to a common U
    (pad U to a few sizes to keep compiles few) with char_mask_BxU 1.0 on real
    characters; bias b: a float or one per row [B] (Graves eqs. 61-62).
    Step t samples with jax.random.split(rng, max_points)[t].

    Stop (Graves): a row stops at the first step whose window has
    phi(t, U_b + 1) > phi(t, u) for all u <= U_b (U_b = its own text length);
    the point of that step is not written, and the row keeps its state and
    emits zeros (strokes, phi and kappa) from there on. Rows the rule never
    stops end at the cap max_points.

    Primed sampling (Graves §5.3, "style"): prime_x_PxBx3 is one real line,
    normalised, [P, 3] (or [P, 1, 3] / [P, B, 3]); each row's chars must then
    hold the prime's text before the target text (prime_text + " " + text).
    The network runs over prime[:-1] by teacher forcing in one call, and
    sampling continues from that carry with prime[-1] as the first input
    (start_3 is then unused); only the new points are returned. prime_chars
    (the length of prime_text + " ") moves a window that lags behind the
    prime's end forward to that position, never back: in a style it never
    trained on (another font) the network's window falls a few characters
    behind and it would write the prime's last letters again.

    Returns numpy arrays: strokes_BxLx3 (normalised offsets, eos sampled as
    0/1), length_B (points written before the stop), stopped_B (the rule
    fired; else the cap was hit), phi_BxLxU and kappa_BxLxK (L = max_points).
    """
    chars_BxU = jnp.asarray(chars_BxU, jnp.int32)
    char_mask_BxU = jnp.asarray(char_mask_BxU, jnp.float32)
    if chars_BxU.ndim != 2 or chars_BxU.shape != char_mask_BxU.shape:
        raise UserError(f"chars {chars_BxU.shape} and char_mask {char_mask_BxU.shape} must "
                         "both be [batch, characters]; pad the texts to one length")
    B = chars_BxU.shape[0]
    bias_B = jnp.broadcast_to(jnp.asarray(bias, jnp.float32), (B,))
    prime = None
    if prime_x_PxBx3 is not None:
        prime = jnp.asarray(prime_x_PxBx3, jnp.float32)
        if prime.ndim == 2:
            prime = prime[:, None]
        if prime.ndim != 3 or prime.shape[0] < 1 or prime.shape[2] != 3:
            raise UserError(f"prime strokes have shape {np.shape(prime_x_PxBx3)}; give one "
                             "normalised line as [points, 3] (or [points, batch, 3])")
        prime = jnp.swapaxes(jnp.broadcast_to(prime, (prime.shape[0], B, 3)), 0, 1)
    graphdef, params = nnx.split(model)
    out = _write(graphdef, params, jnp.asarray(start_3, jnp.float32), chars_BxU,
                 char_mask_BxU, bias_B, rng, prime, jnp.float32(prime_chars),
                 int(max_points))
    return {k: np.asarray(v) for k, v in jax.device_get(out).items()}


def newline_or_first_symbol(vocab) -> str:
    try:
        vocab.encode("\n")
        return "\n"
    except ValueError:
        return vocab.decode([0])
