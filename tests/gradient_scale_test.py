"""The gradient scale the optimizer sees (seqgen/steps.py): the loss summed
over each sequence and averaged over the batch's sequences, the scale Graves'
RMSProp was tuned for.

At initialisation on Graves' handwriting shapes (3x400, M = 20, 700-point
lines), few weights have g^2 below his eps = 1e-4, so sqrt(n - m^2 + eps)
follows the gradient (RMSProp); with the gradient of the mean per point most
of them would, and the update would be momentum SGD at lr / sqrt(eps). One
Graves-RMSProp step equals a numpy re-derivation from an independently
computed per-sequence gradient.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from seqgen import kinds, optim, steps

EPS = 1e-4  # Graves' RMSProp epsilon, inside the square root


def _identity_tx() -> optax.GradientTransformation:
    """Updates = the gradient it is given: params' change shows what the optimizer saw."""
    return optax.GradientTransformation(lambda p: optax.EmptyState(),
                                        lambda g, s, p=None: (g, s))


def _step(kind, model, tx, batch):
    graphdef, params = nnx.split(model, nnx.Param)
    B = batch["reset"].shape[0]
    state = steps.TrainState(step=jnp.int32(0), params=params, opt_state=tx.init(params),
                             carry=model.init_carry(B), rng=jax.random.PRNGKey(0))
    new, _ = jax.jit(lambda s, b: steps.train_step(graphdef, tx, kind, s, b))(state, batch)
    return params, new.params


def test_few_weights_are_below_eps_at_graves_handwriting_shapes():
    c = kinds.get("handwriting").default_config()  # Graves' 3x400, M = 20
    assert (c.model.num_layers, c.model.hidden, c.model.num_mixtures) == (3, 400, 20)
    kind = kinds.make_example(c)
    batch = kind.example_batch(4, 700)  # 4 lines of 700 points
    old, new = _step(kind, kind.build_model(nnx.Rngs(0)), _identity_tx(), batch)
    g = np.concatenate([np.ravel(n - o) for o, n in
                        zip(jax.tree.leaves(old), jax.tree.leaves(new), strict=True)])
    below = float(np.mean(g ** 2 < EPS))
    # The mean per point (the old convention) divides g by the 700 points a line.
    below_per_point = float(np.mean((g / 700) ** 2 < EPS))
    assert below < 0.10, below  # measured 2.8% (random offsets, seed 0)
    assert below_per_point > 0.90, below_per_point  # measured 95%: momentum SGD


def test_one_graves_rmsprop_step_equals_numpy_on_the_per_sequence_sum():
    c = kinds.get("text").default_config()
    c.model.num_layers, c.model.hidden = 1, 8
    c.model.clip_preactivations = c.model.clip_outputs = 0.0  # plain autodiff below
    kind = kinds.make_example(c, vocab=5)
    batch = kind.example_batch(3, 6)  # B = 3 sequences of T = 6 symbols
    model = kind.build_model(nnx.Rngs(1))
    lr, decay, momentum = 1e-2, 0.95, 0.9
    tx = optim.graves_rmsprop(lr, decay=decay, momentum=momentum, eps=EPS)
    old, new = _step(kind, model, tx, batch)

    # The per-sequence summed loss, averaged over the 3 sequences, written out.
    graphdef = nnx.graphdef(model)

    def loss(params):
        logits, _ = nnx.merge(graphdef, params)(batch["inputs"], model.init_carry(3))
        nll = optax.softmax_cross_entropy_with_integer_labels(logits, batch["targets"])
        return jnp.sum(nll) / 3

    g = jax.grad(loss)(old)
    for w0, gw, w1 in zip(jax.tree.leaves(old), jax.tree.leaves(g), jax.tree.leaves(new),
                          strict=True):
        w0, gw = np.asarray(w0, np.float64), np.asarray(gw, np.float64)
        n = (1 - decay) * gw ** 2  # the moments start at zero
        m = (1 - decay) * gw
        d = -lr * gw / np.sqrt(n - m ** 2 + EPS)  # momentum * 0 + this step
        np.testing.assert_allclose(np.asarray(w1), w0 + d, rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("B", [1, 6])  # against B = 2
def test_the_optimizer_sees_a_per_sequence_gradient_whatever_the_batch(B):
    # The same sequence repeated B times: averaging over sequences gives
    # the same gradient for any B (a sum over targets would grow with B).
    c = kinds.get("text").default_config()
    c.model.num_layers, c.model.hidden = 1, 8
    kind = kinds.make_example(c, vocab=5)
    one = kind.example_batch(1, 6)
    batch = {k: np.repeat(v, B, axis=0) for k, v in one.items()}
    ref = {k: np.repeat(v, 2, axis=0) for k, v in one.items()}
    model = kind.build_model(nnx.Rngs(2))
    old, new = _step(kind, model, _identity_tx(), batch)
    _, new_ref = _step(kind, kind.build_model(nnx.Rngs(2)), _identity_tx(), ref)
    for a, b in zip(jax.tree.leaves(new), jax.tree.leaves(new_ref), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)
