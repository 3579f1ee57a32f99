"""How every benchmark here times a call: warm-up, repeats, median, spread.

A call passed to `time_calls` must block until its result exists (JAX:
`jax.block_until_ready`; PyTorch on CPU is synchronous), so wall time is
compute time. Peak memory is the process's peak resident set size
(getrusage ru_maxrss): it covers the interpreter, the libraries and every
buffer the process ever held, not only the benchmarked model, which is why
the suite runs each benchmark in its own process.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable

import numpy as np


def time_calls(fn: Callable[[], object], *, warmup: int, repeats: int) -> dict:
    """Seconds per call of `fn`: median, p10, p90 and the number timed."""
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    t = np.asarray(t)
    return {"median_s": float(np.median(t)), "p10_s": float(np.percentile(t, 10)),
            "p90_s": float(np.percentile(t, 90)), "n": int(t.size)}


def peak_rss_mb() -> float:
    """Process peak resident set size so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def threads_note() -> dict:
    """What decides the thread count of this process, for the JSON record."""
    return {"cpus_allowed": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(),
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "")}


def threads_seen() -> dict:
    """The threads this process really has, by name (Linux /proc), after the
    work ran: XLA:CPU's Eigen pool shows as "tf_XLAEigen", torch's OpenMP
    workers as "python" (their count is torch.get_num_threads(), which the
    peers record). What the environment asked for is threads_note()."""
    names: dict[str, int] = {}
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
            names[name] = names.get(name, 0) + 1
    except OSError:
        return {}
    return {"by_name": names, "xla_eigen": sum(v for k, v in names.items() if "XLAEigen" in k)}


def one_device_xla_flags(xla_flags: str) -> str:
    """XLA_FLAGS without the tests' fake-device count: a benchmark process
    runs on one device, as a user's does."""
    return " ".join(f for f in xla_flags.split() if "force_host_platform_device_count" not in f)


def xla_thread_flags(threads: int) -> str:
    """XLA:CPU flags that cap its intra-op threads (1 = no Eigen thread pool)."""
    if threads <= 0:
        return ""
    flags = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
    return flags + f" intra_op_parallelism_threads={threads}"


def cap_xla_threads(threads: int) -> None:
    """Add xla_thread_flags(threads) to XLA_FLAGS (0 = leave the defaults).

    Call before the first jax import: XLA reads its flags once.
    """
    if threads > 0 and "intra_op_parallelism_threads" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " "
                                   + xla_thread_flags(threads)).strip()


def time_jitted_step(step, state: tuple, batch, *, warmup: int, repeats: int) -> dict:
    """Compile `step(*state, batch) -> (*state, out)` and time calls that feed
    the returned state back in (so donated buffers stay valid); `out` is
    awaited. Adds the compile seconds to time_calls' fields."""
    import jax

    t0 = time.perf_counter()
    compiled = step.lower(*state, batch).compile()
    compile_s = time.perf_counter() - t0
    box, n = list(state), len(state)

    def run():
        out = compiled(*box, batch)
        box[:] = out[:n]
        jax.block_until_ready(out[n:])

    return {**time_calls(run, warmup=warmup, repeats=repeats), "compile_s": compile_s}


def write_json(path: str, result: dict) -> None:
    """--json_out of every benchmark CLI ('' = none); creates the folder."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
