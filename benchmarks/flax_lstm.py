"""The other peer: Flax's own cell, nnx.RNN(nnx.OptimizedLSTMCell), stacked.

The same char model as benchmarks/torch_lstm.py (one-hot input, N layers,
no peepholes, no skips, linear head, mean cross entropy, Adam), as a Flax
user would write it: one jitted train step over split/merged NNX state.

Dimension letters: B batch, T time, V vocabulary, H hidden.
"""

from __future__ import annotations

import functools

from benchmarks import timing


def build(*, layers: int, hidden: int, vocab: int, seed: int = 0):
    """The Flax-cell char model: model(ids_BxT) -> logits_BxTxV."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    class Model(nnx.Module):
        def __init__(self, rngs: nnx.Rngs):
            self.rnns = nnx.List([
                nnx.RNN(nnx.OptimizedLSTMCell(vocab if n == 0 else hidden, hidden, rngs=rngs),
                        rngs=False)
                for n in range(layers)])
            self.head = nnx.Linear(hidden, vocab, rngs=rngs)

        def __call__(self, ids_BxT):
            h = jax.nn.one_hot(ids_BxT, vocab)
            zeros_BxH = jnp.zeros((ids_BxT.shape[0], hidden), jnp.float32)
            for rnn in self.rnns:
                h = rnn(h, initial_carry=(zeros_BxH, zeros_BxH))
            return self.head(h)

    return Model(nnx.Rngs(seed))


def loss(model, ids_BxT1):
    """Mean cross entropy (nats) of predicting ids[:, 1:] from ids[:, :-1]."""
    import optax

    logits_BxTxV = model(ids_BxT1[:, :-1])
    return optax.softmax_cross_entropy_with_integer_labels(logits_BxTxV, ids_BxT1[:, 1:]).mean()


def train_step_time(*, layers: int, hidden: int, batch: int, seq: int, vocab: int,
                    warmup: int, repeats: int) -> dict:
    """Seconds per Adam step, and the compile time, of the Flax-cell model."""

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from flax import nnx

    model = build(layers=layers, hidden=hidden, vocab=vocab)
    graphdef, params = nnx.split(model, nnx.Param)
    tx = optax.adam(2e-3)
    opt_state = tx.init(params)

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, opt_state, ids_BxT1):
        loss_value, grads = jax.value_and_grad(
            lambda p: loss(nnx.merge(graphdef, p), ids_BxT1))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss_value

    ids = jnp.asarray(np.random.default_rng(0).integers(0, vocab, (batch, seq + 1)),
                      jnp.int32)
    return timing.time_jitted_step(step, (params, opt_state), ids, warmup=warmup,
                                   repeats=repeats)
