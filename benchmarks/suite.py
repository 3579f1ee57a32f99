"""Every benchmark in one command, with the ratio table against the targets.

  python -m benchmarks.suite                    # all of it, 2 threads
  python -m benchmarks.suite --quick            # fewer repeats, no bf16, no routes
  taskset -c 1 python -m benchmarks.suite --threads=1 --quick   # one core

Expected time: 11 min 7 s for the full suite on a quiet 2-core Intel Xeon
(AVX-512, no AMX; 2 threads), measured before the compiled PyTorch forms
were added (they add their compile and steps: text, handwriting, synthesis
and sampling took 470 s together on an AMD EPYC with them). Measured before
the wait, memory, batch-64 sampling and 3x256 synthesis steps were added: 5
min 55 s on an AMD machine, and --quick 9.4 min on one core shared with
three other jobs.

Runs each benchmark in its own subprocess (so peak RSS and XLA flags are
its own): the GEMM peak and the recurrent 32x512x2048 product through
XLA, MKL (torch) and OpenBLAS (numpy) (benchmarks/gemm.py --blas), the
text train step against PyTorch nn.LSTM and Flax's cell
(benchmarks/throughput.py --compare, fp32 and, unless --quick, bf16
matmuls), the fused LSTM backward against autodiff of the scan
(benchmarks/routes.py, unless --quick), Graves' 3x400 prediction and
synthesis train steps, and synthesis at the shipped writer's 3x256,
against their PyTorch (and, for prediction, Flax) peers and against
their own autodiff backward, the enwik8 7x700 train step's compile time,
sampling against PyTorch step loops (benchmarks/sampling.py: text,
prediction, synthesis at batch 1 and 64, with the GEMM bound of the batch-64
steps), the enwik8 pipeline (benchmarks/pipeline.py), seqgen.write from
command to file, cold and warm (benchmarks/wait.py), and peak memory of
training the writer and of the server (benchmarks/memory.py). Writes each
JSON and suite.json to --out_dir and prints the table of targets:
measured, target, met or not. Every PyTorch peer is timed eager and in
its compiled forms (torch.compile, TorchScript; benchmarks/compiled_peers.py),
each checked against eager first; the ratios use the fastest, named in the
row above each ("fastest PyTorch form"). A benchmark or peer form that
failed is a FAILED / NOT met row, never a missing one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from benchmarks import serve, timing, wait
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS
WARM_TARGETS_S = {"line": serve.TARGETS["line"], "page": wait.TARGETS["page_warm_s"]}


def _define_flags() -> None:
    flags.DEFINE_integer("threads", 0, "Threads for XLA and torch in every benchmark "
                         "(0 = library defaults: all cores).")
    flags.DEFINE_bool("quick", False, "Fewer repeats, no bf16 comparison.")
    flags.DEFINE_string("out_dir", "/tmp/seqgen/bench", "Where the JSON files go.")
    flags.DEFINE_string("only", "", "Comma-separated subset of: " + ",".join(STEPS))


STEPS = ("gemm", "text", "text_bf16", "routes", "handwriting", "synthesis",
         "synthesis_shipped", "enwik8_compile", "sampling", "pipeline", "wait", "memory")


def commands(quick: bool, threads: int, out: Path) -> dict[str, list[str]]:
    rep = ["--warmup=1", "--repeats=3"] if quick else ["--warmup=2", "--repeats=10"]
    hw_rep = ["--warmup=1", "--repeats=2"] if quick else ["--warmup=1", "--repeats=4"]
    thr = [f"--threads={threads}"]
    py = [sys.executable, "-m"]
    text = ["--model=text", "--layers=2", "--hidden=512", "--noskip", "--batch=32",
            "--seq=100", "--vocab=205", "--compare"]
    cmds = {
        "gemm": py + ["benchmarks.gemm", "--blas", *thr, f"--json_out={out / 'gemm.json'}"],
        "text": py + ["benchmarks.throughput", *text, *rep, *thr,
                      f"--json_out={out / 'text.json'}"],
        "text_bf16": py + ["benchmarks.throughput", *text, "--matmul_dtype=bfloat16", *rep,
                           *thr, f"--json_out={out / 'text_bf16.json'}"],
        # Each route twice, interleaved: a single pass was seen to flip the
        # ratio (0.97x once against 1.17-1.21x in four interleaved passes).
        "routes": py + ["benchmarks.routes", "--routes=backward=autodiff;backward=fused;"
                        "backward=autodiff;backward=fused", "--repeats=10", *thr,
                        f"--json_out={out / 'routes.json'}"],
        "handwriting": py + ["benchmarks.throughput", "--model=handwriting", "--compare",
                             *hw_rep, *thr, f"--json_out={out / 'handwriting.json'}"],
        "synthesis": py + ["benchmarks.throughput", "--model=synthesis", "--compare",
                           *hw_rep, *thr, f"--json_out={out / 'synthesis.json'}"],
        # The shipped writer's shape (configs/writer.py: 3x256, K=10, M=20).
        "synthesis_shipped": py + ["benchmarks.throughput", "--model=synthesis", "--hidden=256",
                                   "--compare", *hw_rep, *thr,
                                   f"--json_out={out / 'synthesis_shipped.json'}"],
        "enwik8_compile": py + ["benchmarks.throughput", "--config=configs/enwik8.py",
                                "--warmup=1", "--repeats=2", *thr,
                                f"--json_out={out / 'enwik8_compile.json'}"],
        "sampling": py + ["benchmarks.sampling", f"--repeats={2 if quick else 3}",
                          f"--length={300 if quick else 1000}", *thr,
                          f"--json_out={out / 'sampling.json'}"],
        "pipeline": py + ["benchmarks.pipeline", f"--json_out={out / 'pipeline.json'}"],
        # What a user waits for (seqgen.write cold and warm) and peak memory (issue 21).
        "wait": py + ["benchmarks.wait", f"--repeats={3 if quick else 5}",
                      f"--json_out={out / 'wait.json'}"],
        "memory": py + ["benchmarks.memory", f"--json_out={out / 'memory.json'}"],
    }
    if quick:
        del cmds["text_bf16"], cmds["routes"]
    return cmds


def _row(rows: list[dict], prefix: str) -> dict | None:
    """The fastest timed row whose impl starts with prefix (for "pytorch": the
    fastest of its eager, torch.compile and TorchScript forms; "seqgen" is
    seqgen's own row only, not its autodiff-backward variant)."""
    timed = [r for r in rows if "symbols_per_s" in r and (
        r["impl"] == prefix if prefix == "seqgen" else r["impl"].startswith(prefix))]
    return max(timed, key=lambda r: r["symbols_per_s"]) if timed else None


def _fastest_form_row(peer: dict | None) -> tuple[str, str, str, str]:
    """Which PyTorch form the next ratio is against (eager, torch.compile, ...)."""
    name = peer["impl"].removeprefix("pytorch ") if peer else "none timed"
    return ("    (fastest PyTorch form)", name, "", "")


def _failed_rows(rows: list[dict], indent: str = "  ") -> list[tuple[str, str, str, str]]:
    """A peer form that raised or disagreed with eager: its own NOT met row."""
    return [(f"{indent}{r['impl']}", "FAILED", "", "NOT met") for r in rows if "failed" in r]


def ratio_table(results: dict) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, verdict) rows of the issue's acceptance list."""
    out = []
    r = results.get("gemm")
    if r:
        g = r["recurrent_fp32"]
        libs = ", ".join(f"{k} {v['gflops']:.0f}" for k, v in r.get("recurrent_fp32_blas",
                                                                      {}).items())
        out.append(("recurrent GEMM 32x512x2048 GFLOP/s", f"XLA {g['gflops']:.0f}"
                    + (f"; {libs}" if libs else ""), "", ""))

    def add(what, value, fmt, target, ok):
        verdict = "" if not target else "-" if value is None else (
            "met" if ok(value) else "NOT met")
        out.append((what, fmt.format(value) if value is not None else "n/a", target, verdict))

    for key, label in (("text", "fp32"), ("text_bf16", "bf16")):
        r = results.get(key)
        if not r:
            continue
        ours, torch_r, flax_r = (_row(r["rows"], p) for p in ("seqgen", "pytorch", "flax"))
        out.append((f"text 2x512 train ({label}) seqgen chars/s",
                    f"{ours['symbols_per_s']:,.0f}", "", ""))
        out += _failed_rows(r["rows"])
        out.append(_fastest_form_row(torch_r))
        add(f"  seqgen / PyTorch nn.LSTM ({label})",
            ours["symbols_per_s"] / torch_r["symbols_per_s"] if torch_r else None,
            "{:.2f}x", ">= 1.25x", lambda v: v >= 1.25)
        add(f"  seqgen / Flax OptimizedLSTMCell ({label})",
            ours["symbols_per_s"] / flax_r["symbols_per_s"] if flax_r else None,
            "{:.2f}x", "", None)
        if label == "fp32":
            add("  seqgen fraction of GEMM peak", ours["fraction_of_peak"], "{:.0%}",
                ">= 82%", lambda v: v >= 0.82)
            if torch_r:
                # The same FLOPs 1.25x faster than PyTorch: what that asks of the machine.
                add("  1.25x PyTorch would need (of GEMM peak)",
                    1.25 * torch_r["fraction_of_peak"], "{:.0%}", "", None)
    r = results.get("routes")
    if r and len(r["rows"]) >= 2:
        rate = {}
        for row in r["rows"]:  # median over the passes of each route
            rate.setdefault(row["route"], []).append(row["chars_per_s"])
        fused, autodiff = (float(np.median(rate[k])) for k in
                           ("backward=fused", "backward=autodiff"))
        add("fused backward / autodiff of the scan (text)", fused / autodiff,
            "{:.2f}x", "", None)
    for key in ("handwriting", "synthesis", "synthesis_shipped"):
        r = results.get(key)
        if r:
            ours = r["rows"][0]
            synthesis = key.startswith("synthesis")
            add(f"{r['model']} {r['layers']}x{r['hidden']} train points/s", ours["symbols_per_s"],
                "{:,.0f}", "", None)
            out += _failed_rows(r["rows"])
            out.append(_fastest_form_row(_row(r["rows"], "pytorch")))
            for prefix, label in (("pytorch", "PyTorch (no peepholes)"), ("flax", "Flax"),
                                  ("seqgen, autodiff", "its own autodiff backward")):
                peer = _row(r["rows"], prefix)
                if peer:
                    # The issue's >= 1.4x is for synthesis against PyTorch; the rest is record.
                    target = ">= 1.4x" if synthesis and prefix == "pytorch" else ""
                    add(f"  seqgen / {label}", ours["symbols_per_s"] / peer["symbols_per_s"],
                        "{:.2f}x", target, lambda v: v >= 1.4)
    r = results.get("enwik8_compile")
    if r:
        add("enwik8 7x700 train step compile", r["rows"][0]["compile_s"], "{:.1f} s",
            "< 10 s", lambda v: v < 10)
    r = results.get("sampling")
    if r:
        for row in r["rows"]:
            name = f"sampling {row['what']} B={row['batch']} {row['units']}/s"
            if "seqgen_ratio" in row:
                out.append((name, f"{row['seqgen_per_s']:,.0f}", "", ""))
                # Issue 7: >= 2x for text; issue 21: >= 2x at batch 64 for handwriting
                # too. Handwriting at batch 1 has no target, only the record.
                text = row["what"].startswith("text")
                target = text or row["batch"] >= 64
                p = row.get("pytorch", {})
                for name, f in p.get("forms", {}).items():
                    if "failed" in f:
                        out.append((f"  PyTorch {name}", "FAILED", "", "NOT met"))
                out.append(("    (fastest PyTorch form)", p.get("form") or p.get("loop", "-"),
                            "", ""))
                add("  seqgen / best PyTorch step loop" if text else
                    "  seqgen / PyTorch step loop", row["seqgen_ratio"], "{:.2f}x",
                    ">= 2x" if target else "", lambda v: v >= 2)
                b = row.get("gemm_bound")
                if b and "best_ratio" in b:
                    # What the step's matmuls alone allow (benchmarks/sampling_bound.py).
                    add("    best possible (GEMM bound)", b["best_ratio"], "{:.2f}x", "", None)
            else:
                add(name, row["seqgen_per_s"], "{:,.0f}", "", None)
    r = results.get("pipeline")
    if r:
        add("enwik8 pipeline peak RSS (process)", r["peak_rss_mb"], "{:.0f} MiB",
            "< 400 MB", lambda v: v * 1.048576 < 400)
        add("enwik8 pipeline batches/s (32x100)", r["batches_per_s"], "{:,.0f}", "", lambda v: True)
    out += wait_rows(results)
    return out


def wait_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """seqgen.write from command to file (benchmarks/wait.py) and peak memory
    (benchmarks/memory.py): issue 21's targets, the rest for the record."""
    out = []
    r = results.get("wait")
    if r:
        for name, label in (("line", "one line"), ("page", "10-line page")):
            for mode, how in (("empty_cache", "cold, empty cache"), ("cached", "cold, cached")):
                v = r["cold"][name][mode]["median_s"]
                ok = v <= 10.0 if name == "page" and mode == "empty_cache" else None
                out.append((f"seqgen.write {label}, {how}", f"{v:.2f} s",
                            "<= 10 s" if ok is not None else "",
                            "" if ok is None else "met" if ok else "NOT met"))
            if "warm" in r:
                # The server's targets (benchmarks/serve.py): a line <= 1.5 s; the
                # 10-line page <= 3 s (benchmarks/wait.py).
                v, t = r["warm"][name]["median_s"], WARM_TARGETS_S[name]
                out.append((f"seqgen.write {label}, warm server", f"{v:.2f} s", f"<= {t:g} s",
                            "met" if v <= t else "NOT met"))
    r = results.get("memory")
    if r:
        out.append(("peak RSS training configs/writer.py",
                    f"{r['training']['peak_rss_mb']:.0f} MiB", "", ""))
        out.append(("peak RSS server after requests", f"{r['server']['after_requests_mb']:.0f} MiB",
                    "", ""))
    return out


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "threads": fc.THREADS,
    "quick": fc.anything,
    "out_dir": fc.writable_dir,
    "only": fc.subset_of(*STEPS),
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    out = Path(FLAGS.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    flags_ = timing.one_device_xla_flags(env.get("XLA_FLAGS", ""))
    if FLAGS.threads > 0:
        flags_ = (flags_ + " " + timing.xla_thread_flags(FLAGS.threads)).strip()
        env["OMP_NUM_THREADS"] = str(FLAGS.threads)
    env["XLA_FLAGS"] = flags_
    cmds = commands(FLAGS.quick, FLAGS.threads, out)
    only = [s for s in FLAGS.only.split(",") if s]
    results, wall, failed = {}, {}, []
    t_start = time.perf_counter()
    for name, cmd in cmds.items():
        if only and name not in only:
            continue
        print(f"== {name}: {' '.join(cmd[2:])}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=Path(__file__).resolve().parents[1],
                              capture_output=True, text=True)
        wall[name] = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"   FAILED ({wall[name]:.0f} s):\n{proc.stderr[-2000:]}", flush=True)
            failed.append(name)
            continue
        print(proc.stdout.rstrip(), f"\n   ({wall[name]:.0f} s)", flush=True)
        json_path = next(a.split("=", 1)[1] for a in cmd if a.startswith("--json_out="))
        results[name] = json.loads(Path(json_path).read_text())
    # A benchmark that failed is a row of the table, never a missing one.
    table = ratio_table(results) + [(f"{name} benchmark", "FAILED", "", "NOT met")
                                    for name in failed]
    width = max(len(r[0]) for r in table) if table else 10
    print(f"\n{'what':{width}s}  {'measured':>12s}  {'target':>9s}  verdict")
    for what, value, target, verdict in table:
        print(f"{what:{width}s}  {value:>12s}  {target:>9s}  {verdict}")
    total = time.perf_counter() - t_start
    print(f"\nthreads={FLAGS.threads or 'default'} quick={FLAGS.quick}; total {total:.0f} s; "
          f"JSON in {out}")
    summary = {"benchmark": "suite", "threads": FLAGS.threads, "quick": FLAGS.quick,
               "threads_note": timing.threads_note(), "xla_flags": flags_,
               "wall_s": wall, "total_s": total, "table": table, "results": results}
    (out / "suite.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
