"""The machine's matmul peak as XLA reaches it, measured in the same process.

  python -m benchmarks.gemm --size=2048 --json_out=/tmp/seqgen/bench/gemm.json

Times a square float32 `jnp.dot` (2*n^3 FLOPs) and, for reference, the
recurrent shape of a 2x512 LSTM at batch 32 (32x512 @ 512x2048) that
dominates the train step. A model's "fraction of peak" divides its achieved
GFLOP/s by the square-GEMM figure of the same process, so both see the
same threads, clocks and neighbours.
"""

from __future__ import annotations

from absl import app, flags

from benchmarks import timing


def gemm_gflops(m: int, k: int, n: int, *, dtype: str = "float32", repeats: int = 5
                ) -> dict:
    """GFLOP/s of an (m x k) @ (k x n) jnp.dot with float32 accumulation."""
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.PRNGKey(0), (m, k), jnp.float32).astype(dtype)
    b = jax.random.normal(jax.random.PRNGKey(1), (k, n), jnp.float32).astype(dtype)
    f = jax.jit(lambda a, b: jnp.dot(a, b, preferred_element_type=jnp.float32))
    t = timing.time_calls(lambda: f(a, b).block_until_ready(), warmup=2, repeats=repeats)
    flop = 2 * m * k * n
    return {"shape": [m, k, n], "dtype": dtype, "gflops": flop / t["median_s"] / 1e9,
            "gflops_best": flop / min(t["p10_s"], t["median_s"]) / 1e9, **t}


def machine_peak(size: int = 2048, repeats: int = 5) -> dict:
    """The square fp32 GEMM and the recurrent shape, GFLOP/s."""
    return {"square_fp32": gemm_gflops(size, size, size, repeats=repeats),
            "recurrent_fp32": gemm_gflops(32, 512, 2048, repeats=max(repeats, 50))}


FLAGS = flags.FLAGS


def _define_flags() -> None:
    # Only when run as a script: other benchmarks import this module.
    flags.DEFINE_integer("size", 2048, "Side of the square GEMM (2*n^3 FLOPs).")
    flags.DEFINE_integer("repeats", 5, "Timed calls (median reported).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


def main(argv):
    del argv
    r = machine_peak(FLAGS.size, FLAGS.repeats)
    r["threads"] = timing.threads_note()
    for name in ("square_fp32", "recurrent_fp32"):
        g = r[name]
        print(f"{name:15s} {'x'.join(map(str, g['shape']))}: {g['gflops']:7.1f} GFLOP/s "
              f"(median of {g['n']})")
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main)
