"""Sampling throughput: text symbols/s and handwriting points/s, each against
a PyTorch step loop of the same model.

  python -m benchmarks.sampling --json_out=/tmp/seqgen/bench/sampling.json

seqgen samples with one jitted lax.scan (seqgen/models/generate.py); each figure is
the median wall time of the whole call after a compile-and-warm-up call,
so compile time is reported apart. Text: the 2x512 char model (V = 205, no
skips, as benchmarks/throughput.py) at batch 1 and 64; the peer is the
faster of two PyTorch inference loops (benchmarks/torch_lstm.py).
Handwriting: Graves' 3x400 prediction network (M = 20) drawing 700-point
lines, and the synthesis network (K = 10, 40 characters) writing lines
(all max_points steps are computed, so points/s counts them all); the
peers are eager PyTorch loops of the same peephole cells, window and
mixture sampling (benchmarks/torch_handwriting.py; they skip
the synthesis stop rule, which seqgen evaluates every step). Handwriting
is timed at --hw_batches (default 1 and 64 lines), with peers at the same
batch. Every rate is given at the median call and at the p90 and p10 calls.

At batch > 1 a step is bound by its matmuls: --gemm_bound times each
matmul shape of one step inside a scan in this process and prints the
fastest possible step and the best seqgen/PyTorch ratio it allows
(benchmarks/sampling_bound.py; JSON: each row's "gemm_bound").
Random weights: speed does not depend on what was learned.
"""

from __future__ import annotations

import time

import numpy as np
from absl import app, flags

from benchmarks import sampling_bound, timing
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_integer("layers", 2, "Text model layers.")
    flags.DEFINE_integer("hidden", 512, "Text model cells per layer.")
    flags.DEFINE_integer("vocab", 205, "Text vocabulary.")
    flags.DEFINE_integer("length", 1000, "Symbols sampled per text call.")
    flags.DEFINE_string("batches", "1,64", "Text batch sizes to time.")
    flags.DEFINE_string("hw_batches", "1,64", "Handwriting batch sizes (lines) to time.")
    flags.DEFINE_integer("hw_layers", 3, "Handwriting layers (Graves: 3).")
    flags.DEFINE_integer("hw_hidden", 400, "Handwriting cells per layer (Graves: 400).")
    flags.DEFINE_integer("points", 700, "Points per handwriting line (an IAM line: ~700).")
    flags.DEFINE_integer("chars", 40, "Characters of the synthesis text.")
    flags.DEFINE_bool("handwriting", True, "Also time prediction and synthesis sampling.")
    flags.DEFINE_bool("compare", True, "Time the PyTorch step loop (if installed).")
    flags.DEFINE_bool("gemm_bound", True, "Time the matmuls of a batched step: the "
                      "fastest possible step (benchmarks/sampling_bound.py).")
    flags.DEFINE_bool("compiled_peers", True, "Also time each PyTorch step loop with its step "
                      "under torch.compile (checked against eager first); the faster is the peer.")
    flags.DEFINE_integer("threads", 0, "Threads for XLA and torch (0 = library defaults).")
    flags.DEFINE_integer("repeats", 3, "Timed calls per figure (median reported).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


def _timed_call(fn, repeats: int) -> dict:
    """First call (compile + run) timed apart, then the median of repeats."""
    t0 = time.perf_counter()
    fn()
    first_s = time.perf_counter() - t0
    return {**timing.time_calls(fn, warmup=0, repeats=repeats), "first_call_s": first_s}


def text_sampling(*, layers: int, hidden: int, vocab: int, batch: int, length: int,
                  repeats: int) -> dict:
    """seqgen's jitted sampling scan of the text model: seconds per call."""
    import jax
    from flax import nnx

    from seqgen.data.vocab import Vocab
    from seqgen.models import generate, lstm
    from seqgen.models.text import TextModel

    model = TextModel(vocab, hidden=hidden, num_layers=layers, skip=False,
                      opts=lstm.LSTMOptions(), rngs=nnx.Rngs(0))
    v = Vocab("byte", tuple(range(vocab)))
    prime = generate.newline_or_first_symbol(v)
    run = lambda: generate.sample_text(model, v, prime, length, 1.0,  # noqa: E731
                                     jax.random.PRNGKey(0), num_samples=batch)
    return _timed_call(run, repeats)


def stroke_sampling(*, layers: int, hidden: int, points: int, num: int, repeats: int
                    ) -> dict:
    """Unconditional handwriting (prediction network): seconds per call."""
    import jax
    from flax import nnx

    from seqgen.models import generate, lstm
    from seqgen.models.handwriting import PredictionModel

    model = PredictionModel(hidden=hidden, num_layers=layers, num_mixtures=20,
                            opts=lstm.LSTMOptions(), rngs=nnx.Rngs(0))
    start_3 = np.zeros(3, np.float32)
    run = lambda: generate.sample_strokes(model, start_3, num, points, 0.5,  # noqa: E731
                                        jax.random.PRNGKey(0))
    return _timed_call(run, repeats)


def synthesis_sampling(*, layers: int, hidden: int, points: int, chars: int, num: int,
                       repeats: int, alphabet: int = 80) -> dict:
    """Writing `num` lines of `chars` characters (synthesis network)."""
    import jax
    from flax import nnx

    from seqgen.models import generate, lstm
    from seqgen.models.synthesis import SynthesisModel

    model = SynthesisModel(alphabet_size=alphabet, hidden=hidden, num_layers=layers,
                           num_mixtures=20, num_window=10, opts=lstm.LSTMOptions(),
                           rngs=nnx.Rngs(0))
    rng = np.random.default_rng(0)
    chars_BxU = rng.integers(1, alphabet, (num, chars)).astype(np.int32)
    mask_BxU = np.ones((num, chars), np.float32)
    start_3 = np.zeros(3, np.float32)
    run = lambda: generate.write_strokes(  # noqa: E731
        model, start_3, chars_BxU, mask_BxU, bias=0.75, max_points=points,
        rng=jax.random.PRNGKey(0))
    return _timed_call(run, repeats)


def run(*, layers: int = 2, hidden: int = 512, vocab: int = 205, length: int = 1000,
        batches: tuple[int, ...] = (1, 64), hw_batches: tuple[int, ...] = (1, 64),
        handwriting: bool = True,
        hw_layers: int = 3, hw_hidden: int = 400, points: int = 700, chars: int = 40,
        alphabet: int = 80, compare: bool = True, gemm_bound: bool = True, threads: int = 0,
        repeats: int = 3, compiled_peers: bool = False) -> dict:
    from benchmarks import torch_handwriting, torch_lstm

    def add_peer(row: dict, per_call: int, p: dict) -> None:
        row["pytorch_per_s"] = per_call / p["median_s"]
        row["pytorch_per_s_p90_p10"] = [per_call / p["p90_s"], per_call / p["p10_s"]]
        row["pytorch"] = p
        row["seqgen_ratio"] = row["seqgen_per_s"] / row["pytorch_per_s"]

    def new_row(what: str, b: int, units: str, per_call: int, t: dict) -> dict:
        # Rates at the median call, and at the p90 and p10 calls (the spread).
        return {"what": what, "batch": b, "units": units,
                "seqgen_per_s": per_call / t["median_s"],
                "seqgen_per_s_p90_p10": [per_call / t["p90_s"], per_call / t["p10_s"]],
                "seqgen": t}

    def add_bound(row: dict, gemms_of, steps: int, **shape) -> None:
        # Batched steps are matmul-bound: what the matmuls alone allow.
        if not gemm_bound or row["batch"] == 1:
            return
        gemms = gemms_of(batch=row["batch"], **shape)
        peer_s = row["pytorch"]["median_s"] / steps if "pytorch" in row else None
        row["gemm_bound"] = sampling_bound.bound(
            gemms, seqgen_step_s=row["seqgen"]["median_s"] / steps, pytorch_step_s=peer_s)

    peers = compare and torch_lstm.available()
    rows = []
    for b in batches:
        t = text_sampling(layers=layers, hidden=hidden, vocab=vocab, batch=b, length=length,
                          repeats=repeats)
        row = new_row(f"text {layers}x{hidden}", b, "chars", b * length, t)
        if peers:
            add_peer(row, b * length, torch_lstm.sample_time(
                layers=layers, hidden=hidden, batch=b, vocab=vocab, length=length,
                threads=threads, repeats=repeats, compiled=compiled_peers))
        add_bound(row, sampling_bound.text_gemms, length, layers=layers, hidden=hidden,
                  vocab=vocab)
        rows.append(row)
    for b in hw_batches if handwriting else ():
        t = stroke_sampling(layers=hw_layers, hidden=hw_hidden, points=points, num=b,
                            repeats=repeats)
        row = new_row(f"handwriting {hw_layers}x{hw_hidden}", b, "points", b * points, t)
        if peers:
            add_peer(row, b * points, torch_handwriting.prediction_sample_time(
                layers=hw_layers, hidden=hw_hidden, points=points, threads=threads,
                repeats=repeats, batch=b, compiled=compiled_peers))
        add_bound(row, sampling_bound.handwriting_gemms, points, layers=hw_layers,
                  hidden=hw_hidden)
        rows.append(row)
        t = synthesis_sampling(layers=hw_layers, hidden=hw_hidden, points=points,
                               chars=chars, num=b, repeats=repeats, alphabet=alphabet)
        row = new_row(f"synthesis {hw_layers}x{hw_hidden}", b, "points", b * points, t)
        if peers:
            add_peer(row, b * points, torch_handwriting.synthesis_sample_time(
                layers=hw_layers, hidden=hw_hidden, points=points, chars=chars,
                alphabet=alphabet, threads=threads, repeats=repeats, batch=b,
                compiled=compiled_peers))
        add_bound(row, sampling_bound.synthesis_gemms, points, layers=hw_layers,
                  hidden=hw_hidden, alphabet=alphabet)
        rows.append(row)
    return {"benchmark": "sampling", "length": length, "points": points,
            "threads": timing.threads_note(), "threads_seen": timing.threads_seen(),
            "peak_rss_mb": timing.peak_rss_mb(),
            "rows": rows}


def peer_forms(row: dict) -> str:
    """Each PyTorch form's rate (the fastest starred), FAILED ones named."""
    p = row.get("pytorch")
    if not p or "forms" not in p:
        return p.get("loop", "") if p else ""
    per_call = row["pytorch_per_s"] * p["median_s"]
    best = p.get("form") or p.get("loop")
    parts = []
    for name, f in p["forms"].items():
        if "failed" in f:
            parts.append(f"{name} FAILED")
        else:
            c = f" (compile {f['compile_s']:.0f} s)" if f.get("compile_s") else ""
            parts.append(f"{'*' if name == best else ''}{name} {per_call / f['median_s']:,.0f}{c}")
    return "peer: " + "; ".join(parts)


def format_table(r: dict) -> str:
    def rate(row: dict, key: str) -> str:
        if key + "_per_s" not in row:
            return f"{'-':>24s}"
        lo, hi = row[key + "_per_s_p90_p10"]
        return f"{row[key + '_per_s']:8,.0f} ({lo:,.0f}-{hi:,.0f})".rjust(24)

    lines = [f"{'sampling':28s} {'batch':>5s} {'seqgen /s (p90-p10 call)':>24s} "
             f"{'pytorch /s (p90-p10 call)':>24s} {'seqgen x':>8s} {'compile+1st':>11s}"]
    for row in r["rows"]:
        ratio = f"{row['seqgen_ratio']:8.2f}" if "seqgen_ratio" in row else f"{'-':>8s}"
        lines.append(f"{row['what'] + ' ' + row['units']:28s} {row['batch']:5d} "
                     f"{rate(row, 'seqgen')} {rate(row, 'pytorch')} {ratio} "
                     f"{row['seqgen']['first_call_s']:10.1f}s  {peer_forms(row)}")
    bounds = [sampling_bound.format_bound(row["what"], row["batch"], row["gemm_bound"])
              for row in r["rows"] if "gemm_bound" in row]
    if bounds:
        lines += ["", "GEMM bound (matmuls timed in a scan, this process):", *bounds]
    return "\n".join(lines)


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "layers": fc.between(1, 1000), "hidden": fc.between(1, 100_000),
    "vocab": fc.between(2, 10_000_000), "length": fc.between(1, 10_000_000),
    "batches": fc.int_list(1), "hw_batches": fc.int_list(1),
    "hw_layers": fc.between(1, 1000), "hw_hidden": fc.between(1, 100_000),
    "points": fc.between(1, 10_000_000), "chars": fc.between(1, 100_000),
    "handwriting": fc.anything, "compare": fc.anything, "gemm_bound": fc.anything,
    "threads": fc.THREADS, "repeats": fc.between(1, 100_000), "compiled_peers": fc.anything,
    "json_out": fc.JSON_OUT,
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    r = run(layers=FLAGS.layers, hidden=FLAGS.hidden, vocab=FLAGS.vocab, length=FLAGS.length,
            batches=tuple(int(b) for b in FLAGS.batches.split(",") if b),
            hw_batches=tuple(int(b) for b in FLAGS.hw_batches.split(",") if b),
            handwriting=FLAGS.handwriting, hw_layers=FLAGS.hw_layers,
            hw_hidden=FLAGS.hw_hidden, points=FLAGS.points, chars=FLAGS.chars,
            compare=FLAGS.compare, gemm_bound=FLAGS.gemm_bound, threads=FLAGS.threads,
            repeats=FLAGS.repeats, compiled_peers=FLAGS.compiled_peers)
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
