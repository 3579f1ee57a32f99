"""The Flax peer of handwriting prediction: nnx.RNN(nnx.OptimizedLSTMCell) layers.

Graves' prediction network as a Flax user would write it with Flax's own
cell: N stacked `nnx.RNN(nnx.OptimizedLSTMCell)` layers with the skip
connections (x feeds every layer, every layer feeds the head), nnx.Linear to
the 6M+1 mixture outputs, and one jitted train step (value_and_grad, optax
Adam lr 2e-3) over split/merged NNX state, float32. The loss is seqgen's own
mdn.log_likelihood (mean nats per unmasked point, as
kinds/handwriting.mixture_loss), so only the LSTM differs from seqgen: no
peepholes and no derivative clipping, both in the peer's favour.

Synthesis has no Flax peer (not written): nnx.RNN scans one cell and cannot
feed the soft window w_t back into layer 1 at t+1, so a peer would be a
hand-written lax.scan of cell + window, i.e. seqgen's own formulation
written again; throughput reports the row as skipped with that reason.

Dimension letters: B batch, T time, H hidden, M mixture components,
Y = 6M+1 mixture outputs.
"""

from __future__ import annotations

import functools

import numpy as np

from benchmarks import timing

SYNTHESIS_SKIPPED = ("not written: nnx.RNN cannot feed the window w_t back into layer 1, "
                     "a peer would be a hand-written lax.scan like seqgen's")


def build(*, layers: int, hidden: int, mixtures: int, skip: bool = True, seed: int = 0):
    """The model: x_BxTx3 -> y_BxTxY."""
    import jax.numpy as jnp
    from flax import nnx

    class Prediction(nnx.Module):
        def __init__(self, rngs: nnx.Rngs):
            d = [3] + [3 + hidden if skip else hidden] * (layers - 1)
            self.rnns = nnx.List([nnx.RNN(nnx.OptimizedLSTMCell(d[n], hidden, rngs=rngs),
                                          rngs=False) for n in range(layers)])
            self.head = nnx.Linear(hidden * (layers if skip else 1), 6 * mixtures + 1,
                                   rngs=rngs)

        def __call__(self, x_BxTx3):
            zeros_BxH = jnp.zeros((x_BxTx3.shape[0], hidden), jnp.float32)
            hs = []
            for n, rnn in enumerate(self.rnns):
                inp = x_BxTx3 if n == 0 else (
                    jnp.concatenate([x_BxTx3, hs[-1]], -1) if skip else hs[-1])
                hs.append(rnn(inp, initial_carry=(zeros_BxH, zeros_BxH)))
            return self.head(jnp.concatenate(hs, -1) if skip else hs[-1])

    return Prediction(nnx.Rngs(seed))


def make_train_step(model, *, lr: float = 2e-3):
    """(params, opt_state, step): step(params, opt_state, batch) -> (params,
    opt_state, loss before the update), jitted, donating params and state."""
    import jax
    import jax.numpy as jnp
    import optax
    from flax import nnx

    from seqgen.models import mdn

    graphdef, params = nnx.split(model, nnx.Param)
    tx = optax.adam(lr)

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, opt_state, batch):
        def loss_fn(p):
            y_BxTxY = nnx.merge(graphdef, p)(batch["inputs"])
            ll_BxT = mdn.log_likelihood(y_BxTxY, batch["targets"])
            mask_BxT = batch["mask"]
            return -jnp.sum(ll_BxT * mask_BxT) / jnp.maximum(jnp.sum(mask_BxT), 1.0)
        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return params, tx.init(params), step


def prediction_train_step_time(batch_np: dict[str, np.ndarray], *, layers: int,
                               hidden: int, warmup: int, repeats: int, mixtures: int = 20,
                               skip: bool = True) -> dict:
    """Seconds per Adam step, and the compile time, on the kind's example batch."""
    import jax.numpy as jnp

    params, opt_state, step = make_train_step(
        build(layers=layers, hidden=hidden, mixtures=mixtures, skip=skip))
    batch = {k: jnp.asarray(batch_np[k], jnp.float32) for k in ("inputs", "targets", "mask")}
    return timing.time_jitted_step(step, (params, opt_state), batch, warmup=warmup,
                                   repeats=repeats)
