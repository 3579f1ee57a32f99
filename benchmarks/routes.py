"""Speed routes of the text train step, timed one after another in one process.

  python -m benchmarks.routes                       # fused vs autodiff backward
  python -m benchmarks.routes --routes="backward=fused;backward=fused,unroll=2;\
backward=fused,dtype=bfloat16;backward=autodiff"

Each route is a comma-separated list of key=value: backward (fused |
autodiff, LSTMOptions.backward), unroll (lax.scan unroll), dtype (float32 |
bfloat16 matmul inputs). All routes compute the same mathematics (the
equivalence is tests/lstm_recurrence_test.py); only the speed differs.
XLA flags are per process: compare them by running this under different
XLA_FLAGS.
"""

from __future__ import annotations

from absl import app, flags

from benchmarks import timing
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("routes", "backward=autodiff;backward=fused", "';'-separated routes.")
    flags.DEFINE_integer("layers", 2, "LSTM layers.")
    flags.DEFINE_integer("hidden", 512, "Cells per layer.")
    flags.DEFINE_integer("batch", 32, "Sequences per step.")
    flags.DEFINE_integer("seq", 100, "Steps per sequence.")
    flags.DEFINE_integer("threads", 0, "XLA threads (0 = default).")
    flags.DEFINE_integer("repeats", 5, "Timed steps per route.")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


def run(routes: list[str], *, layers: int, hidden: int, batch: int, seq: int,
        repeats: int) -> list[dict]:
    from benchmarks import throughput
    from seqgen import kinds

    out = []
    for route in routes:
        kw = dict(kv.split("=", 1) for kv in route.split(",") if kv)
        c = throughput.model_config("text", layers=layers, hidden=hidden, skip=False,
                                    matmul_dtype=kw.get("dtype", "float32"),
                                    unroll=int(kw.get("unroll", 1)))
        c.model.backward = kw.get("backward", "fused")
        kind = kinds.make_example(c)
        t = throughput.time_train_step(kind, kind.example_batch(batch, seq), warmup=2,
                                       repeats=repeats)
        out.append({"route": route, "step_ms_median": 1e3 * t["median_s"],
                    "step_ms_p10": 1e3 * t["p10_s"], "step_ms_p90": 1e3 * t["p90_s"],
                    "chars_per_s": batch * seq / t["median_s"], "compile_s": t["compile_s"]})
        r = out[-1]
        print(f"{route:45s} {r['step_ms_median']:8.1f} ms ({r['step_ms_p10']:.0f}-"
              f"{r['step_ms_p90']:.0f}) {r['chars_per_s']:8,.0f} chars/s "
              f"{r['chars_per_s'] / out[0]['chars_per_s']:5.2f}x the first, "
              f"compile {r['compile_s']:.1f} s", flush=True)
    return out


# Every flag's check (seqgen/command/flag_checks.py).
def _routes(v: str) -> str | None:
    keys = {"backward": ("fused", "autodiff"), "dtype": ("float32", "bfloat16"), "unroll": None}
    for route in [r for r in (v or "").split(";") if r] or [""]:
        for kv in route.split(","):
            key, _, value = kv.partition("=")
            if key not in keys or (keys[key] and value not in keys[key]) or (
                    keys[key] is None and not value.isdigit()):
                return ("use ';'-separated routes of key=value: backward=fused|autodiff, "
                        "dtype=float32|bfloat16, unroll=<int>")
    return None


RULES = {
    "routes": _routes,
    "layers": fc.between(1, 1000),
    "hidden": fc.between(1, 100_000),
    "batch": fc.between(1, 65_536),
    "seq": fc.between(1, 1_000_000),
    "threads": fc.THREADS,
    "repeats": fc.between(1, 100_000),
    "json_out": fc.JSON_OUT,
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    rows = run([r for r in FLAGS.routes.split(";") if r], layers=FLAGS.layers,
               hidden=FLAGS.hidden, batch=FLAGS.batch, seq=FLAGS.seq, repeats=FLAGS.repeats)
    timing.write_json(FLAGS.json_out, {"benchmark": "routes",
                                       "threads": timing.threads_note(), "rows": rows})


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
