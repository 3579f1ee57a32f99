"""Where a command's cold start goes: wall time per phase, compilation apart.

  SEQGEN_TIMINGS=1 python -m seqgen.write --text="hello" --out=x.svg

With $SEQGEN_TIMINGS set, a command that marks its phases (seqgen.write:
restore, write, render) prints one line to stderr when it ends:

  seqgen timings: start 2.10 s, restore 0.41 s, compile 1.92 s, sample 0.62 s,
  render 0.05 s, other 0.03 s, total 5.13 s

- start: from the launch to the command's main() (the interpreter, the
  imports, flag parsing). The launch is $SEQGEN_TIMINGS itself when it is a
  Unix time (benchmarks/wait.py stamps it just before it starts the
  process), else the process's start as the kernel records it.
- compile: every JAX compilation of the run (tracing, lowering, XLA or a
  load from the persistent cache), wherever it happened, counted once: the
  other phases are their wall time minus the compilation inside them.
- other: what no phase covers (flag checks, logging, the exit itself is not
  seen).

Without $SEQGEN_TIMINGS nothing is measured and nothing is printed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

ENV = "SEQGEN_TIMINGS"
# JAX's own duration events of a compilation (jax/_src/dispatch.py): tracing
# to a jaxpr, lowering to MLIR, and the backend compile or persistent-cache load.
COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                  "/jax/core/compile/jaxpr_to_mlir_module_duration",
                  "/jax/core/compile/backend_compile_duration")


def _launch_time() -> float:
    """Unix time of the launch: $SEQGEN_TIMINGS if it is one, else the
    process's start (/proc/self/stat field 22, clock ticks after boot)."""
    value = os.environ.get(ENV, "")
    with contextlib.suppress(ValueError):
        stamp = float(value)
        if stamp > 1e9:
            return stamp
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()


def _covered(spans: list[tuple[float, float]], a: float, b: float) -> float:
    """Seconds of [a, b] inside the union of `spans` (nested compilations,
    e.g. a jit traced inside another's trace, count once)."""
    clipped = sorted((max(s, a), min(e, b)) for s, e in spans if e > a and s < b)
    total, reach = 0.0, a
    for s, e in clipped:
        if e > reach:
            total += e - max(s, reach)
            reach = e
    return total


class Phases:
    """Phase timer of one command run (module docstring); inert when off."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = bool(os.environ.get(ENV)) if enabled is None else enabled
        self.seconds: dict[str, float] = {}
        self.spans: list[tuple[float, float]] = []  # compilations, Unix times
        if not self.enabled:
            return
        self.launch = _launch_time()
        self.seconds["start"] = time.time() - self.launch
        import jax  # already imported by every caller

        def listen(event: str, start: float, end: float, **_) -> None:
            if event in COMPILE_EVENTS:
                self.spans.append((start, end))

        jax.monitoring.register_event_time_span_listener(listen)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Times the block as `name`, less the compilation inside it."""
        if not self.enabled:
            yield
            return
        t0 = time.time()
        try:
            yield
        finally:
            t1 = time.time()
            own = t1 - t0 - _covered(self.spans, t0, t1)
            self.seconds[name] = self.seconds.get(name, 0.0) + own

    def report(self) -> dict[str, float]:
        """Prints the line of the module docstring to stderr; returns the figures."""
        if not self.enabled:
            return {}
        now = time.time()
        total = now - self.launch
        out = dict(self.seconds, compile=_covered(self.spans, self.launch, now))
        out["other"] = max(total - sum(out.values()), 0.0)
        out["total"] = total
        print("seqgen timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in out.items()),
              file=sys.stderr, flush=True)
        return out
