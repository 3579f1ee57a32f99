"""The reproduction report: N trials per task and net, the paper beside us.

  python -m seqgen.tasks.report --trials=10 --out=/tmp/seqgen/tasks_report

runs every entry of SUITE for each net it lists (the 1997 LSTM, the
forget-gate LSTM, the tanh RNN), the trials of one (task, net) vmapped in
one program, the (task, net) jobs spread over `--workers` processes (one
per core), longest first. Writes report.json (every trial) and report.md
(the table). `--render` rebuilds report.md from an existing report.json.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import statistics
import sys
import time

from absl import flags

from seqgen.command import console, jax_cache, preamble
from seqgen.command import flag_checks as fc
from seqgen.command.errors import UserError
from seqgen.config import files as config_files

# (config, variant, nets or None for the config's report_models)
SUITE = (
    ("reber", "", None),
    ("reber", "6x2,bptt", ("lstm1997",)),
    ("long_lag", "", None),
    ("long_lag_noise", "", None),
    ("adding", "", None),
    ("multiplication", "", ("lstm1997",)),
    ("temporal_order", "", None),
    ("temporal_order", "6b", ("lstm1997",)),
    ("periodic", "pattern=01", None),
    ("periodic", "pattern=0001", None),
    ("periodic", "pattern=000001", None),
    ("periodic", "pattern=0000011111", None),
)

FLAGS = flags.FLAGS
flags.DEFINE_integer("trials", 10, "Trials per task and net.")
flags.DEFINE_integer("workers", 2, "Worker processes (one per core).")
flags.DEFINE_string("out", "/tmp/seqgen/tasks_report", "Directory for report.json/.md.")
flags.DEFINE_list("only", [], "Run only these configs (e.g. adding,reber).")
flags.DEFINE_integer("seed", 0, "config.seed of every job.")
flags.DEFINE_bool("render", False, "Only rebuild report.md from report.json.")


def load_config(name: str, variant: str):
    module = config_files.load_module(f"tasks/{name}", f"task_config_{name}")
    return module.get_config(variant or None)


def _worker_init() -> None:
    # Tiny programs: one thread each, so two workers use two cores cleanly.
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false")
    jax_cache.enable()  # the workers compile; this process does not


def _run_job(name: str, variant: str, model: str, trials: int, seed: int) -> dict:
    from seqgen.tasks import trainer

    config = load_config(name, variant)
    config.seed = seed
    result = trainer.run_trials(config, model, range(trials), log=None)
    return dict(result.to_json(), config=name, variant=variant,
                paper=config.paper.to_dict())


def _cost(name: str, variant: str) -> float:
    """Rough work of a job (sequences x steps), to start the longest first."""
    c = load_config(name, variant)
    steps = {"reber": 30, "long_lag": c.task.get("p", 100), "periodic": 50,
             "long_lag_noise": c.task.get("q", 100) + 100,
             "temporal_order": 110}.get(c.task.name, c.task.get("T", 100) * 1.1)
    return c.train.max_sequences * steps


def jobs(trials: int, only: list[str]) -> list[tuple[str, str, str]]:
    out = []
    for name, variant, models in SUITE:
        if only and name not in only:
            continue
        for model in models or load_config(name, variant).report_models:
            out.append((name, variant, model))
    return sorted(out, key=lambda j: -_cost(j[0], j[1]) * (1 + (j[2] == "lstm1997")))


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

def _task_label(r: dict) -> str:
    return r["config"] + (f":{r['variant']}" if r["variant"] else "")


def _sequences(ts: list[dict]) -> str:
    ok = sorted(t["sequences"] for t in ts if t["success"])
    if not ok:
        return "-"
    mean = f"{statistics.mean(ok):,.0f}"
    return mean if len(ok) == 1 else f"{mean} (median {statistics.median(ok):,.0f}; " \
        f"{ok[0]:,}-{ok[-1]:,})"


def render(report: dict) -> str:
    rows = ["| task | net | weights | paper: % success | paper: sequences | "
            "ours: success | ours: sequences until success (mean; median; range) | "
            "ours: test wrong (mean) | cap | s |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["runs"]:
        p, ts = r["paper"], r["trials"]
        n_ok = sum(t["success"] for t in ts)
        diverged = sum(t["diverged"] for t in ts)
        wrong = statistics.mean(t["test_wrong"] for t in ts)
        total = ts[0]["test_total"]
        if r["model"] == "lstm1997":
            weights = f"{r['weights']:,}" + (f" ({p['weights']:,})" if p["weights"] else "")
            paper_pct, paper_seq = p["success"], p["sequences"]
        elif r["model"] == "rnn":
            weights, paper_pct, paper_seq = f"{r['weights']:,}", p["baseline"], ""
        else:
            weights, paper_pct, paper_seq = f"{r['weights']:,}", "", ""
        ours = f"{100 * n_ok / len(ts):.0f}% ({n_ok}/{len(ts)})"
        if diverged:
            ours += f", {diverged} diverged"
        rows.append(f"| {_task_label(r)} | {r['net']}, lr "
                    f"{r['learning_rate']:g} | {weights} | {paper_pct} | {paper_seq} | {ours} | "
                    f"{_sequences(ts)} | {wrong:.1f}/{total} | {r['cap']:,} | "
                    f"{r['seconds']:.0f} |")
    head = (f"{report['trials']} trials per row, seed {report['seed']}; wall time "
            f"{report['wall_seconds'] / 60:.1f} min on {report['workers']} worker processes "
            f"({report['cpus']} CPUs). Weights: ours (paper's). Sequences until "
            "success over the successful trials only; a trial that reaches the cap "
            "fails. Test wrong: of 2560 fresh sequences (recent-window tasks) or of "
            "the criterion's fixed sets (Reber: 512 strings; 2a: 2; periodic: one "
            "per phase).")
    return head + "\n\n" + "\n".join(rows) + "\n"


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "trials": fc.between(1, 10_000, "trials per task and net; the paper's tables use 10+"),
    "workers": fc.between(1, 256, "worker processes, one per core"),
    "out": fc.writable_dir,
    "only": fc.subset_of(*sorted({name for name, _, _ in SUITE})),
    "seed": fc.at_least(0),
    "render": fc.anything,
}


def main() -> None:
    if FLAGS.render and not (pathlib.Path(FLAGS.out) / "report.json").is_file():
        raise UserError(f"--render: no report.json in --out={FLAGS.out}; run the report "
                        "first (without --render)")
    out = pathlib.Path(FLAGS.out)
    if FLAGS.render:
        _write(out, json.loads((out / "report.json").read_text()))
        return
    todo = jobs(FLAGS.trials, FLAGS.only)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    results = {}
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
            FLAGS.workers, mp_context=ctx, initializer=_worker_init) as pool:
        futures = {pool.submit(_run_job, *job, FLAGS.trials, FLAGS.seed): job
                   for job in todo}
        with console.bar(len(futures), "1997 report", unit="job") as progress:
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                r = future.result()
                results[job] = r
                n_ok = sum(t["success"] for t in r["trials"])
                console.say(f"[{time.time() - t0:6.0f} s] {job[0]}:{job[1]} {job[2]}: "
                            f"{n_ok}/{len(r['trials'])} solved ({r['seconds']:.0f} s)")
                progress.update(1)
    order = {job: i for i, job in enumerate(
        (n, v, m) for n, v, ms in SUITE for m in (ms or load_config(n, v).report_models))}
    report = {"trials": FLAGS.trials, "seed": FLAGS.seed, "workers": FLAGS.workers,
              "cpus": os.cpu_count(), "wall_seconds": time.time() - t0,
              "command": " ".join(["python -m seqgen.tasks.report"] + sys.argv[1:]),
              "runs": [results[j] for j in sorted(results, key=order.get)]}
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    _write(out, report)
    print(f"report.json written in {report['wall_seconds']:.0f} s")


def _write(out: pathlib.Path, report: dict) -> None:
    """report.md (the table) and report.png (the success curves)."""
    from seqgen.tasks import plots  # matplotlib: ~1 s to import

    (out / "report.md").write_text(render(report))
    plots.success_curves(report["runs"], path=out / "report.png")
    print(render(report))
    print(f"wrote {out / 'report.md'} and {out / 'report.png'}")


if __name__ == "__main__":
    preamble.run(main, RULES, cache=False)
