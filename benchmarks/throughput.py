"""Train-step throughput of a config's model, measured the honest way.

  python -m benchmarks.throughput --config=configs/default.py
  python -m benchmarks.throughput --config=configs/enwik8.py:smoke --repeats=30

Builds the config's model and optimizer on random data of the config's
shapes (no dataset needed), compiles the jitted train step (timed
separately), warms up, then times `--repeats` steps one by one with
block_until_ready and prints the median and spread of the step time and the
symbols per second. Nothing else should run on the machine meanwhile.
"""

from __future__ import annotations

import functools
import json
import os
import time

import numpy as np
from absl import app, flags
from ml_collections import config_flags

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file (configs/*.py[:arg]).")
flags.DEFINE_integer("vocab", 205, "Vocabulary size for the random data.")
flags.DEFINE_integer("warmup", 3, "Untimed steps after compilation.")
flags.DEFINE_integer("repeats", 20, "Timed steps.")
flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")
flags.mark_flag_as_required("config")


def main(argv):
    del argv
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from seqgen import kinds, optim, parallel, train
    from seqgen.data.vocab import Vocab

    config = FLAGS.config
    # The model needs only the vocabulary size, not the data.
    meta = {"vocab": Vocab("byte", tuple(range(FLAGS.vocab))).to_dict()}
    kind = kinds.make(config, meta)
    model = kind.build_model(nnx.Rngs(0))
    graphdef, params = nnx.split(model, nnx.Param)
    tx = optim.make_optimizer(config, config.num_steps)
    mesh = parallel.make_mesh()
    B, T = config.batch_size, config.seq_len
    state = train.TrainState(step=jnp.int32(0), params=params,
                             opt_state=tx.init(params), carry=model.init_carry(B),
                             rng=jax.random.PRNGKey(0))
    state = parallel.shard_like(state, parallel.replicated(mesh)).replace(
        carry=parallel.shard_like(state.carry, parallel.batch_sharded(mesh)))
    rng = np.random.default_rng(0)
    ids = rng.integers(0, FLAGS.vocab, size=(B, T + 1)).astype(np.int32)
    batch = parallel.global_batch({"inputs": ids[:, :-1], "targets": ids[:, 1:],
                                   "reset": np.zeros(B, bool)}, mesh)
    step = jax.jit(functools.partial(train.train_step, graphdef, tx, kind),
                   donate_argnums=0)

    t0 = time.perf_counter()
    compiled = step.lower(state, batch).compile()
    compile_s = time.perf_counter() - t0
    for _ in range(FLAGS.warmup):
        state, m = compiled(state, batch)
    jax.block_until_ready(m)
    times = []
    for _ in range(FLAGS.repeats):
        t0 = time.perf_counter()
        state, m = compiled(state, batch)
        jax.block_until_ready(m)
        times.append(time.perf_counter() - t0)
    t = np.array(times)
    med = float(np.median(t))
    result = {
        "config": os.environ.get("BENCH_NAME", str(FLAGS["config"].value)),
        "layers": config.model.num_layers, "hidden": config.model.hidden,
        "batch": B, "seq": T, "vocab": FLAGS.vocab,
        "matmul_dtype": config.model.matmul_dtype,
        "devices": jax.device_count(), "cpu_threads": os.cpu_count(),
        "compile_s": compile_s, "step_ms_median": 1e3 * med,
        "step_ms_p10": 1e3 * float(np.percentile(t, 10)),
        "step_ms_p90": 1e3 * float(np.percentile(t, 90)),
        "symbols_per_s": B * T / med,
    }
    print(f"{result['layers']}x{result['hidden']} B={B} T={T} V={FLAGS.vocab} "
          f"{result['matmul_dtype']}: step {result['step_ms_median']:.1f} ms median "
          f"(p10 {result['step_ms_p10']:.1f}, p90 {result['step_ms_p90']:.1f}, "
          f"n={FLAGS.repeats}), {result['symbols_per_s']:,.0f} symbols/s, "
          f"compile {compile_s:.1f} s")
    if FLAGS.json_out:
        with open(FLAGS.json_out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    app.run(main)
