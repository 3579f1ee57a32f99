"""The machine's matmul peak as XLA reaches it, measured in the same process.

  python -m benchmarks.gemm --size=2048 --json_out=/tmp/seqgen/bench/gemm.json

Times a square float32 `jnp.dot` (2*n^3 FLOPs) and, for reference, the
recurrent shape of a 2x512 LSTM at batch 32 (32x512 @ 512x2048) that
dominates the train step. A model's "fraction of peak" divides its achieved
GFLOP/s by the square-GEMM figure of the same process, so both see the
same threads, clocks and neighbours.

`--blas` also times the same two shapes with the BLAS libraries a
`jax.ffi` recurrence kernel could call: Intel MKL as PyTorch links it
(`torch.mm`, if the `bench` extra is installed) and numpy's OpenBLAS. A
kernel of our own is only worth writing if one of them beats XLA on the
recurrent shape (on this project's AMD machine none did: docs/performance.md).
"""

from __future__ import annotations

from absl import app, flags

from benchmarks import timing
from seqgen.command import flag_checks as fc


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


def blas_gflops(m: int, k: int, n: int, *, repeats: int = 5, threads: int = 0) -> dict:
    """GFLOP/s of the same fp32 (m x k) @ (k x n) through other BLAS libraries.

    numpy's BLAS keeps its own thread count (OPENBLAS_NUM_THREADS, read at import).
    """
    import numpy as np

    def timed(fn):
        t = timing.time_calls(fn, warmup=2, repeats=repeats)
        return {"gflops": 2 * m * k * n / t["median_s"] / 1e9, **t}

    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = {"numpy": timed(lambda: a @ b)}
    out["numpy"]["library"] = _numpy_blas()
    try:
        import torch
    except ImportError:
        return out
    if threads > 0:
        torch.set_num_threads(threads)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    out["torch"] = timed(lambda: ta @ tb)
    out["torch"]["library"] = "MKL" if torch.backends.mkl.is_available() else "other"
    out["torch"]["threads"] = torch.get_num_threads()
    return out


def _numpy_blas() -> str:
    import numpy as np
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:  # numpy builds differ in what they report
        return "unknown"


def machine_peak(size: int = 2048, repeats: int = 5) -> dict:
    """The square fp32 GEMM and the recurrent shape, GFLOP/s."""
    return {"square_fp32": gemm_gflops(size, size, size, repeats=repeats),
            "recurrent_fp32": gemm_gflops(32, 512, 2048, repeats=max(repeats, 50))}


FLAGS = flags.FLAGS


def _define_flags() -> None:
    # Only when run as a script: other benchmarks import this module.
    flags.DEFINE_integer("size", 2048, "Side of the square GEMM (2*n^3 FLOPs).")
    flags.DEFINE_integer("repeats", 5, "Timed calls (median reported).")
    flags.DEFINE_bool("blas", False, "Also time the shapes with torch (MKL) and numpy.")
    flags.DEFINE_integer("threads", 0, "Threads for XLA and torch (0 = library defaults).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "size": fc.between(1, 65_536, "side of the square GEMM"),
    "repeats": fc.between(1, 100_000),
    "blas": fc.anything,
    "threads": fc.THREADS,
    "json_out": fc.JSON_OUT,
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    r = machine_peak(FLAGS.size, FLAGS.repeats)
    r["threads"] = timing.threads_note()
    for name in ("square_fp32", "recurrent_fp32"):
        g = r[name]
        line = f"{name:15s} {'x'.join(map(str, g['shape']))}: XLA {g['gflops']:6.1f}"
        if FLAGS.blas:
            r[name + "_blas"] = blas_gflops(*g["shape"], repeats=g["n"],
                                            threads=FLAGS.threads)
            for lib, b in r[name + "_blas"].items():
                line += f", {lib} ({b['library']}) {b['gflops']:6.1f}"
        print(line + f" GFLOP/s (median of {g['n']})")
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
