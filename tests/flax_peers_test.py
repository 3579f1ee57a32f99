"""The Flax peers of the benchmark (benchmarks/flax_lstm.py, text;
benchmarks/flax_handwriting.py, handwriting) compute what they claim: the
text peer's loss and gradients equal a numpy re-derivation of its equations
(float64, gradients by central differences), and Adam steps lower the
handwriting peer's loss (its backward is wired). They need no PyTorch, so
they run in the default suite."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from benchmarks import flax_handwriting, flax_lstm, throughput


def test_text_peer_loss_and_gradients_match_numpy(char_lstm_reference):
    numpy_loss, check_gradients = char_lstm_reference
    N, H, V, B, T = 2, 5, 7, 3, 6
    model = flax_lstm.build(layers=N, hidden=H, vocab=V)
    graphdef, params = nnx.split(model, nnx.Param)
    # Random biases and weights of scale 0.5 (the biases start at zero): a
    # dropped bias or a swapped gate changes the loss.
    rng = np.random.default_rng(0)
    params = jax.tree.map(
        lambda p: jnp.asarray(0.5 * rng.normal(size=p.shape), jnp.float32), params)
    ids_BxT1 = jnp.asarray(rng.integers(0, V, (B, T + 1)), jnp.int32)
    loss, grads = jax.jit(jax.value_and_grad(
        lambda p: flax_lstm.loss(nnx.merge(graphdef, p), ids_BxT1)))(params)

    def flat(state):
        out = {"head.W": state["head"]["kernel"][...], "head.b": state["head"]["bias"][...]}
        for n in range(N):
            cell = state["rnns"][n]["cell"]
            out[f"{n}.W_ih"] = cell["dense_i"]["kernel"][...]
            out[f"{n}.W_hh"] = cell["dense_h"]["kernel"][...]
            out[f"{n}.b"] = cell["dense_h"]["bias"][...]
        return {k: np.asarray(v) for k, v in out.items()}

    def loss_of(p):
        return numpy_loss([(p[f"{n}.W_ih"], p[f"{n}.W_hh"], p[f"{n}.b"]) for n in range(N)],
                          (p["head.W"], p["head.b"]), ids_BxT1)

    p = flat(params)
    assert set(p) == {"head.W", "head.b"} | {f"{n}.{w}" for n in range(N)
                                             for w in ("W_ih", "W_hh", "b")}
    assert float(loss) == pytest.approx(loss_of(p), rel=1e-5)
    check_gradients(loss_of, p, flat(grads))


def _handwriting_batch(seed: int = 0) -> dict[str, np.ndarray]:
    b = throughput.example_batch(throughput.model_config("handwriting"), 2, 6)
    rng = np.random.default_rng(seed)
    b["inputs"] = b["inputs"] + rng.normal(size=b["inputs"].shape).astype(np.float32)
    b["inputs"][..., 2] = rng.random((2, 6)) < 0.3
    b["targets"][..., 2] = rng.random((2, 6)) < 0.3
    b["mask"][1, 4:] = 0.0  # row 1 is a shorter line, padded
    return b


def test_flax_handwriting_adam_steps_lower_the_loss():
    # One layer: the step's compile time dominates this test.
    params, opt_state, step = flax_handwriting.make_train_step(
        flax_handwriting.build(layers=1, hidden=16, mixtures=3), lr=1e-2)
    b = {k: jnp.asarray(v) for k, v in _handwriting_batch().items()
         if k in ("inputs", "targets", "mask")}
    losses = []
    for _ in range(5):
        params, opt_state, loss = step(params, opt_state, b)
        losses.append(float(loss))
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
