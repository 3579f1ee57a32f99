"""Graves' derivative clipping bites at the paper's scale in the train step.

Graves clips dL/d(pre-activations) of each sequence's summed loss. The train
step reports the mean loss per target; this checks its update against an
independent route: one sequence at a time, the gradient of that sequence's
summed loss (clipped inside backprop), added up over the batch and divided
by the number of targets.
"""

import jax
import numpy as np
import optax
from flax import nnx

from seqgen import kinds, steps
from seqgen.config.text import base, smoke


def test_train_step_clips_each_sequences_summed_loss():
    c = smoke(base())
    c.batch_size, c.seq_len = 4, 12
    c.model.clip_preactivations = 0.02  # small enough to bite on most gates
    kind = kinds.make(c)
    kind.load_data()
    batch = kind.train_batch(0, 0, 1)
    model = kind.build_model(nnx.Rngs(0))
    graphdef, params = nnx.split(model, nnx.Param)
    tx = optax.sgd(1.0)  # the update is minus the gradient
    state = steps.TrainState(step=np.int32(0), params=params, opt_state=tx.init(params),
                             carry=model.init_carry(c.batch_size),
                             rng=jax.random.PRNGKey(0))
    new_state, metrics = steps.train_step(graphdef, tx, kind, state, batch)
    got = jax.tree.map(lambda new, old: new - old, new_state.params, params)

    def sequence_grad(graphdef, params, b):
        row = {k: v[b:b + 1] for k, v in batch.items()}

        def summed(p):
            m = nnx.merge(graphdef, p)
            _, (sums, _) = kind.loss_fn(m, m.init_carry(1), row)
            return sums["nll"], sums["count"]
        return jax.grad(summed, has_aux=True)(params)

    def reference(clip_model):
        g_total, count = None, 0.0
        gdef, p = nnx.split(clip_model, nnx.Param)
        for b in range(c.batch_size):
            g, n = sequence_grad(gdef, p, b)
            g_total = g if g_total is None else jax.tree.map(np.add, g_total, g)
            count += float(n)
        # The optimizer's gradient: summed per sequence, averaged over them.
        return jax.tree.map(lambda g: -g / c.batch_size, g_total), count

    want, count = reference(model)
    assert np.isclose(float(metrics["count"]), count)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-7)

    # ...and the clip changed the update: without it the step differs.
    c2 = c.copy_and_resolve_references()
    c2.model.clip_preactivations = 0.0
    unclipped = kinds.make(c2, kind.meta).build_model(nnx.Rngs(0))
    free, _ = reference(unclipped)
    assert not all(np.allclose(a, b, rtol=1e-3, atol=1e-6)
                   for a, b in zip(jax.tree.leaves(free), jax.tree.leaves(want), strict=True))
