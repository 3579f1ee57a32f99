"""What a user waits for: `seqgen.write` from the command to the file.

  python -m benchmarks.wait                          # the shipped writer, 5 repeats
  python -m benchmarks.wait --repeats=3 --noserver --json_out=/tmp/seqgen/bench/wait.json
  python -m benchmarks.wait --noserver --checkout=/tmp/main   # the same for another tree

For one line (40 characters) and a 10-line page (ten lines of about 40):

- cold, empty cache: a fresh `python -m seqgen.write --text=... --out=FILE`
  process whose compilation cache ($SEQGEN_JAX_CACHE) is a new empty
  folder; the wall time from launching it until it has exited, FILE
  written (JAX start-up, restore, compilation, sampling, rendering);
- cold, cached: the same with the cache the previous run filled (the
  second time a user writes a text of that size);
- warm: a running server (benchmarks/serve.py: seqgen.serve's app after
  its warm-up), one HTTP request.

Every figure is of verified writing, as seqgen.write and the page write by
default (each line read back by the product reader, failures written
again: seqgen/handwriting/verify.py); --compare_unverified (default on)
times the 10-line page again with verification off, in the same run.

Each cold run reports its phases (seqgen/command/phases.py, $SEQGEN_TIMINGS):
start (interpreter and imports), restore, compile, sample, render; and
bare `python -c pass` / `import jax` / first JAX array processes show what
of the start is Python's and JAX's own. Medians and p10-p90 spreads over
--repeats. Last, two writers start at once on one empty cache (the cache
is shared by every command): both must succeed and write identical
strokes. Targets (2 cores): a 10-line page in <= 10 s cold and <= 3 s warm; one
line warm <= 1.5 s, the server's target (benchmarks/serve.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from absl import app, flags

from benchmarks import serve, timing
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS
ROOT = Path(__file__).resolve().parents[1]
LINE = serve.LINE
PAGE = "\n".join(serve.PAGE.split("\n") + [  # 10 lines of about 40 characters
    "No more; and by a sleep to say we end", "The heart-ache and the thousand natural",
    "shocks that flesh is heir to: tis a", "consummation devoutly to be wished. To",
    "die, to sleep; to sleep, perchance to"])
TEXTS = {"line": LINE, "page": PAGE}
# The warm line's target is the server's own (benchmarks/serve.py), one value.
TARGETS = {"page_cold_s": 10.0, "page_warm_s": 3.0, "line_warm_s": serve.TARGETS["line"]}
BARE = {"python": "pass", "import jax": "import jax",
        "jax first array": "import jax; jax.numpy.zeros(1).block_until_ready()"}
PHASES = ("start", "restore", "compile", "sample", "render", "other", "exit")


def _define_flags() -> None:
    flags.DEFINE_integer("repeats", 5, "Timed runs per figure.")
    flags.DEFINE_bool("server", True, "Also time the warm server (its warm-up compiles "
                      "every page size first).")
    flags.DEFINE_string("checkout", "", "Run seqgen.write from this source tree instead "
                        "(a before/after: git archive main | tar -x -C DIR).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")
    flags.DEFINE_bool("compare_unverified", True, "Also time the 10-line page with "
                      "verification off (--noverify; the API's verify=false).")


def _source_tree(v: str) -> str | None:
    if v == "" or (Path(v) / "seqgen" / "write.py").is_file():
        return None
    return "use a source tree holding seqgen/write.py, e.g. git archive main | tar -x -C DIR"


RULES = {
    "repeats": fc.between(1, 1000, "timed runs per figure"),
    "server": fc.anything,
    "checkout": _source_tree,
    "json_out": fc.JSON_OUT,
    "compare_unverified": fc.anything,
}
SOURCE = [ROOT]  # where seqgen.write runs from (--checkout)


def _env(cache: str) -> dict:
    env = dict(os.environ, SEQGEN_JAX_CACHE=cache, PYTHONPATH=str(SOURCE[0]))
    # One device as a user has: the tests' fake-device flag must not leak in.
    env["XLA_FLAGS"] = timing.one_device_xla_flags(env.get("XLA_FLAGS", ""))
    return env


def write_once(text: str, cache: str, out: Path, seed: int = 0, verify: bool = True) -> dict:
    """One `seqgen.write` process: wall seconds to its exit with `out`
    written, and the phases it reports."""
    env = _env(cache)
    cmd = [sys.executable, "-m", "seqgen.write", f"--text={text}", f"--out={out}",
           f"--seed={seed}", "--verify" if verify else "--noverify"]
    env["SEQGEN_TIMINGS"] = repr(time.time())  # the launch, for its start phase
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=SOURCE[0], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"seqgen.write failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    found = re.search(r"seqgen timings: (.*)", proc.stderr)
    phases = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", found.group(1))} \
        if found else {}
    if phases:  # the interpreter's exit, after the command's last line
        phases["exit"] = max(wall - phases["total"], 0.0)
    return {"wall_s": wall, "phases": phases}


def _summary(runs: list[dict]) -> dict:
    t = np.asarray([r["wall_s"] for r in runs])
    phases = {k: float(np.median([r["phases"].get(k, 0.0) for r in runs])) for k in PHASES}
    return {"median_s": float(np.median(t)), "p10_s": float(np.percentile(t, 10)),
            "p90_s": float(np.percentile(t, 90)), "n": int(t.size), "phases": phases}


def bare_starts(repeats: int) -> dict:
    """Seconds of a Python process that only starts / imports JAX / makes an array."""
    out = {}
    for name, code in BARE.items():
        def run(code=code):
            subprocess.run([sys.executable, "-c", code], env=_env(""), check=True)
        out[name] = timing.time_calls(run, warmup=0, repeats=repeats)
    return out


def cold(repeats: int, work: Path, unverified: bool = False) -> dict:
    """Empty-cache and cached cold runs of the line and the page (and of the
    page unverified, as 'page_unverified')."""
    out = {}
    runs = [(name, text, True) for name, text in TEXTS.items()] + (
        [("page", TEXTS["page"], False)] if unverified else [])
    for name, text, verify in runs:
        key = name if verify else f"{name}_unverified"
        empty, cached = [], []
        for r in range(repeats):
            cache = tempfile.mkdtemp(dir=work, prefix="cache_")
            empty.append(write_once(text, cache, work / f"{key}_empty_{r}.svg", r, verify))
        for r in range(repeats):  # `cache` is now filled with this size's programs
            cached.append(write_once(text, cache, work / f"{key}_cached_{r}.svg", r, verify))
        out[key] = {"empty_cache": _summary(empty), "cached": _summary(cached)}
    return out


def concurrent(work: Path) -> dict:
    """Two writers at once on one empty cache: both succeed, the same strokes."""
    cache = tempfile.mkdtemp(dir=work, prefix="shared_")
    outs = [work / f"together_{i}.svg" for i in range(2)]
    env = _env(cache)
    procs = [subprocess.Popen([sys.executable, "-m", "seqgen.write", f"--text={PAGE}",
                               f"--out={o}"], env=env, cwd=SOURCE[0], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for o in outs]
    codes = [p.wait() for p in procs]
    ok = all(c == 0 for c in codes)
    same = False
    if ok:
        a, b = (np.load(o.with_suffix(".npz")) for o in outs)
        same = a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    return {"return_codes": codes, "identical": bool(same),
            "cache_entries": len(os.listdir(cache))}


def run(repeats: int, server: bool, unverified: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="seqgen_wait_") as tmp:
        work = Path(tmp)
        out = {"bare": bare_starts(repeats), "cold": cold(repeats, work, unverified),
               "concurrent": concurrent(work), **timing.threads_note()}
    if server:
        timing.cap_xla_threads(0)
        out["warm"] = serve.run(None, repeats, TEXTS,
                                {"line": TARGETS["line_warm_s"],
                                 "page": TARGETS["page_warm_s"]},
                                unverified=("page",) if unverified else ())
    return out


def _spread(x: dict) -> str:
    return f"{x['median_s']:6.2f} s ({x['p10_s']:.2f}-{x['p90_s']:.2f})"


def format_table(r: dict) -> str:
    rows = ["bare processes: " + ", ".join(f"{k} {v['median_s']:.2f} s"
                                           for k, v in r["bare"].items())]
    rows.append(f"{'':18s}{'cold, empty cache':>26s}{'cold, cached':>26s}"
                f"{'warm server':>26s}")
    for name in r["cold"]:
        c = r["cold"][name]
        warm = _spread(r["warm"][name]) if "warm" in r else "not run"
        label = {"line": "one line", "page": "10-line page"}.get(name, "page, unverified")
        rows.append(f"{label:18s}{_spread(c['empty_cache']):>26s}{_spread(c['cached']):>26s}"
                    f"{warm:>26s}")
    title = "median phases of the cold runs (s):"
    rows.append(f"{title:37s}" + " ".join(f"{p:>8s}" for p in PHASES))
    for name in r["cold"]:
        for mode in ("empty_cache", "cached"):
            ph = r["cold"][name][mode]["phases"]
            rows.append(f"  {name + ' ' + mode:35s}" + " ".join(f"{ph[p]:8.2f}" for p in PHASES))
    page_cold = r["cold"]["page"]["empty_cache"]["median_s"]
    rows.append(f"10-line page cold (empty cache) {page_cold:.2f} s: target <= "
                f"{TARGETS['page_cold_s']} s: {'met' if page_cold <= 10 else 'NOT met'}")
    if "warm" in r:
        line_warm = r["warm"]["line"]["median_s"]
        rows.append(f"one line warm {line_warm:.2f} s: target <= {TARGETS['line_warm_s']} s: "
                    f"{'met' if line_warm <= TARGETS['line_warm_s'] else 'NOT met'}")
        page_warm = r["warm"]["page"]["median_s"]
        rows.append(f"10-line page warm {page_warm:.2f} s: target <= {TARGETS['page_warm_s']} "
                    f"s: {'met' if page_warm <= 3 else 'NOT met'}; server warm-up "
                    f"{r['warm']['warmup_s']:.1f} s")
    c = r["concurrent"]
    rows.append(f"two writers at once on one empty cache: exit codes {c['return_codes']}, "
                f"identical strokes: {c['identical']}, {c['cache_entries']} cache entries")
    return "\n".join(rows)


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    if FLAGS.checkout:
        SOURCE[0] = Path(FLAGS.checkout).resolve()
    r = run(FLAGS.repeats, FLAGS.server, FLAGS.compare_unverified)
    r["source"] = str(SOURCE[0])
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
