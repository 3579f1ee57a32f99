"""The Flax peers of the benchmark: Adam steps lower the handwriting peer's
loss (benchmarks/flax_handwriting.py; its backward is wired). They need no
PyTorch, so they run in the default suite."""

import jax.numpy as jnp
import numpy as np

from benchmarks import flax_handwriting, throughput


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
