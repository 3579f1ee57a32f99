"""Sweeps: run every point of a config's `sweep(add)`, then tabulate the results.

  python -m launch.sweep --config=configs/default.py:sweep --local --parallel=2
  python -m launch.sweep --config=configs/default.py --slurm --time=4:00:00 --dry-run
  python -m launch.sweep --config=configs/default.py --collect

A config declares its ablations as `sweep(add)` (big_vision's convention):
each `add(**{'model.skip': False})` is one point, a dict of dotted config
overrides applied on top of `get_config(variant)`. Each point trains in its
own workdir, <workdir>/<point name> (default workdir:
/tmp/seqgen/sweeps/<config>[-<variant>]); a point whose summary.json shows
it finished is skipped, an interrupted one resumes from its checkpoint.
At the end the final metrics of every point (summary.json) go to
<workdir>/results.csv and a markdown table is printed.

--local runs the points here, --parallel at a time. On a small machine two
XLA processes that each spread over every core fight for them, so by default
(--pin=auto) each running point gets its own share of the cores
(sched_setaffinity, like taskset). --slurm writes one SLURM array job, one
element per unfinished point (1 node, --gpus_per_node GPUs each), and
submits it unless --dry-run; --collect only builds the table.
Extra --config.* arguments apply to every point.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from launch import command, slurm
from seqgen.command import console
from seqgen.command import flag_checks as fc
from seqgen.command.errors import UserError
from seqgen.config import files as config_files

POLL_S = 1.0  # how often the local runner looks at its children


@dataclasses.dataclass
class Point:
    name: str  # also the folder name under the sweep workdir
    overrides: dict[str, Any]  # dotted config field -> value
    num_steps: int  # of the resolved config: a summary at this step means done
    workdir: pathlib.Path


# ---------------------------------------------------------------------------
# Points.
# ---------------------------------------------------------------------------

def load_config_module(spec: str) -> tuple[ModuleType, str | None, pathlib.Path]:
    path_s, _, arg = spec.partition(":")
    try:  # a path, or a shipped config's name (seqgen/config/files.py)
        path = config_files.resolve_path(path_s)
    except UserError as e:
        sys.exit(f"FATAL --config={spec}: {e}")
    module = config_files.load_module(str(path), f"sweep_config_{path.stem}")
    if not hasattr(module, "sweep"):
        sys.exit(f"FATAL {path} has no sweep(add); declare the points there, e.g. "
                 "def sweep(add): add(**{'model.skip': False})")
    return module, arg or None, path


def point_name(overrides: dict[str, Any]) -> str:
    if not overrides:
        return "base"
    text = ",".join(f"{k}={command.format_value(v)}" for k, v in overrides.items())
    return re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)


def parse_cli_overrides(args: Sequence[str]) -> dict[str, str]:
    out = {}
    for a in args:
        key, eq, value = a.removeprefix("--config.").partition("=")
        if not eq:
            sys.exit(f"FATAL {a}: write overrides as --config.field=value")
        out[key] = value
    return out


def _coerce(old: Any, value: Any, where: str) -> Any:
    """A command-line string as the field's type (what ml_collections does)."""
    if not isinstance(value, str) or isinstance(old, str):
        return value
    try:
        if isinstance(old, bool):
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        return type(old)(value)
    except ValueError:
        sys.exit(f"FATAL {where}: {value!r} is not a {type(old).__name__}")


def resolve(module: ModuleType, arg: str | None, overrides: dict[str, Any],
            where: str):
    """get_config(arg) with the dotted overrides applied; names a bad field."""
    config = module.get_config(arg)
    for dotted, value in overrides.items():
        node = config
        *parents, leaf = dotted.split(".")
        try:
            for p in parents:
                node = node[p]
            old = node[leaf]
        except (KeyError, AttributeError, TypeError):
            sys.exit(f"FATAL {where}: config has no field {dotted!r}; see the fields in "
                     "the config file (seqgen/config/common.py, text_config.py, "
                     "handwriting_config.py and tasks/config.py document them)")
        node[leaf] = _coerce(old, value, f"{where} {dotted}")
    return config


def points_of(spec: str, sweep_dir: pathlib.Path, cli: dict[str, str]) -> list[Point]:
    module, arg, path = load_config_module(spec)
    declared: list[dict[str, Any]] = []
    module.sweep(lambda **kw: declared.append(dict(kw)))
    if not declared:
        sys.exit(f"FATAL {path}: sweep(add) adds no point")
    points, seen = [], set()
    for overrides in declared:
        name = point_name(overrides)
        if name in seen:  # the same point declared twice runs once
            continue
        seen.add(name)
        config = resolve(module, arg, {**overrides, **cli}, f"sweep point {name}")
        points.append(Point(name, overrides, int(config.num_steps), sweep_dir / name))
    return points


# ---------------------------------------------------------------------------
# State of a point and its results.
# ---------------------------------------------------------------------------

def read_summary(point: Point) -> dict | None:
    try:
        return json.loads((point.workdir / "summary.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_done(point: Point) -> bool:
    summary = read_summary(point)
    return bool(summary) and summary.get("step", 0) >= point.num_steps


def status_of(point: Point, exit_codes: dict[str, int]) -> str:
    if is_done(point):
        return "done"
    if exit_codes.get(point.name):
        return f"failed (exit {exit_codes[point.name]}; see {point.workdir}/sweep.log)"
    if (point.workdir / "checkpoints").exists():
        return "unfinished"
    return "not run"


def results(points: list[Point], exit_codes: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for p in points:
        summary = read_summary(p) or {}
        row: dict[str, Any] = {"point": p.name, "status": status_of(p, exit_codes),
                               "step": summary.get("step")}
        for split in ("valid", "test"):
            for k, v in (summary.get(split) or {}).items():
                row[f"{split}.{k}"] = v
        row["num_params"] = summary.get("num_params")
        rate = [k for k in summary if k.startswith("train_") and k.endswith("_per_s")]
        row["train_rate"] = summary[rate[0]] if rate else None
        row["rate_unit"] = rate[0][len("train_"):] if rate else ""
        row["wall_time_s"] = summary.get("wall_time_s")
        row["overrides"] = json.dumps(p.overrides)
        rows.append(row)
    return rows


def write_csv(rows: list[dict[str, Any]], path: pathlib.Path) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    valid = [k for r in rows for k in r if k.startswith("valid.")]
    valid = sorted(set(valid), key=valid.index)
    test = [k for k in ("test.bpc", "test.ppl") if any(k in r for r in rows)]
    unit = next((r["rate_unit"] for r in rows if r["rate_unit"]), "per_s")
    head = ["point", "status", "step", *valid, *test, "params", "wall", unit]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        wall = r["wall_time_s"]
        cells = [f"`{r['point']}`", r["status"].split(" (")[0], _fmt(r["step"]),
                 *(_fmt(r.get(k)) for k in valid + test), _fmt(r["num_params"]),
                 f"{wall / 60:.1f} min" if wall else "-", _fmt(r["train_rate"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(points: list[Point], sweep_dir: pathlib.Path,
           exit_codes: dict[str, int]) -> list[dict[str, Any]]:
    rows = results(points, exit_codes)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_csv(rows, sweep_dir / "results.csv")
    print(f"\n{markdown_table(rows)}\n\n(results.csv and the runs: {sweep_dir})", flush=True)
    return rows


# ---------------------------------------------------------------------------
# Running here.
# ---------------------------------------------------------------------------

def core_slots(parallel: int, pin: str) -> list[set[int] | None]:
    """The cores each of the `parallel` slots may use (None = no pinning)."""
    cores = sorted(os.sched_getaffinity(0))
    if pin == "none" or parallel == 1 or len(cores) < parallel:
        return [None] * parallel
    share = len(cores) // parallel
    return [set(cores[i * share:(i + 1) * share]) for i in range(parallel)]


def child_env(cores: set[int] | None) -> dict[str, str]:
    env = dict(os.environ)
    if cores is not None:
        # XLA's CPU client sizes its thread pool from the cores the process
        # may run on (sched_getaffinity), so pinning alone sizes it right.
        env["OMP_NUM_THREADS"] = str(len(cores))
    return env


def start(point: Point, config: str, cli: Sequence[str], cores: set[int] | None,
          python: str) -> subprocess.Popen:
    point.workdir.mkdir(parents=True, exist_ok=True)
    argv = command.seqgen_main(config, str(point.workdir),
                               [*command.override_args(point.overrides), *cli],
                               python=python)
    log = open(point.workdir / "sweep.log", "a")
    log.write(f"\n$ {command.shell_join(argv)}\n")
    log.flush()
    pin = (lambda: os.sched_setaffinity(0, cores)) if cores else None
    return subprocess.Popen(argv, cwd=command.REPO, stdout=log, stderr=subprocess.STDOUT,
                            env=child_env(cores), preexec_fn=pin)


def run_local(points: list[Point], config: str, cli: Sequence[str], parallel: int,
              pin: str, python: str = sys.executable) -> dict[str, int]:
    """Runs the unfinished points, `parallel` at a time; returns exit codes."""
    todo = [p for p in points if not is_done(p)]
    for p in points:
        if p not in todo:
            console.say(f"skip {p.name}: finished earlier ({p.workdir}/summary.json)")
    slots = core_slots(parallel, pin)
    free = list(range(parallel))
    running: dict[int, tuple[subprocess.Popen, Point, float]] = {}
    exit_codes: dict[str, int] = {}
    t0, n = time.time(), len(todo)
    progress = console.bar(n, "sweep", unit="point")
    try:
        while todo or running:
            while todo and free:
                slot, p = free.pop(0), todo.pop(0)
                cores = slots[slot]
                running[slot] = (start(p, config, cli, cores, python), p, time.time())
                where = f"cores {sorted(cores)}" if cores else "all cores"
                console.say(f"[{n - len(todo)}/{n}] start {p.name} ({where})")
            time.sleep(POLL_S)
            for slot, (proc, p, t) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[slot]
                free.append(slot)
                exit_codes[p.name] = proc.returncode
                progress.update(1)
                summary = read_summary(p) or {}
                valid = "  ".join(f"{k} {v:.4g}" for k, v in
                                  (summary.get("valid") or {}).items())
                verdict = "done" if proc.returncode == 0 else \
                    f"FAILED (exit {proc.returncode}; see {p.workdir}/sweep.log)"
                console.say(f"      {verdict} {p.name} in {(time.time() - t) / 60:.1f} min"
                            f"{': valid ' + valid if valid and proc.returncode == 0 else ''}")
    except KeyboardInterrupt:
        # SIGTERM makes each run save a checkpoint and stop; rerunning the
        # sweep resumes them.
        console.say("interrupted: stopping the running points (they checkpoint first)")
        for proc, _, _ in running.values():
            proc.terminate()
        for proc, _, _ in running.values():
            proc.wait()
        raise
    finally:
        progress.close()
    console.say(f"sweep: {n} point(s) run in {(time.time() - t0) / 60:.1f} min")
    return exit_codes


# ---------------------------------------------------------------------------
# SLURM array job.
# ---------------------------------------------------------------------------

def index_ranges(indices: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2,5,7-8' (sbatch --array syntax)."""
    parts, start = [], None
    for k, i in enumerate(indices):
        if start is None:
            start = i
        if k + 1 == len(indices) or indices[k + 1] != i + 1:
            parts.append(f"{start}-{i}" if i > start else f"{start}")
            start = None
    return ",".join(parts)


def slurm_array_script(points: list[Point], config: str, cli: Sequence[str],
                       res: slurm.Resources, job_name: str, sweep_dir: pathlib.Path,
                       max_parallel: int, setup: str = "", data_dir: str = "",
                       generated_by: str = "") -> str | None:
    """One array element per unfinished point; None when all are finished."""
    todo = [(i, p) for i, p in enumerate(points) if not is_done(p)]
    if not todo:
        return None
    array = index_ranges([i for i, _ in todo]) + (f"%{max_parallel}" if max_parallel else "")
    lines = slurm.sbatch_header(job_name, res, f"{sweep_dir}/slurm-%A_%a.out", array=array)
    lines += ["", f"# {generated_by or 'python -m launch.sweep --slurm'}",
              f"# {len(todo)} sweep point(s), one array element each; "
              "submit with: sbatch <this file>", ""]
    lines += slurm.environment_lines(setup, data_dir) + [""]
    lines.append('case "${SLURM_ARRAY_TASK_ID}" in')
    for i, p in todo:
        args = " ".join(shlex.quote(a) for a in command.override_args(p.overrides))
        lines.append(f"  {i}) POINT={shlex.quote(p.name)}; OVERRIDES=({args}) ;;")
    lines.append('  *) echo "no sweep point ${SLURM_ARRAY_TASK_ID}" >&2; exit 2 ;;')
    lines.append("esac")
    lines.append(f"POINT_DIR={shlex.quote(str(sweep_dir))}/\"${{POINT}}\"")
    main = command.shell_join(command.seqgen_main(config, "WORKDIR", cli))
    main = main.replace("--workdir=WORKDIR", '--workdir="${POINT_DIR}"')
    # ${A[@]+"${A[@]}"}: an empty array is "unbound" to bash < 4.4 under set -u.
    lines += slurm.run_lines(f'{main} ${{OVERRIDES[@]+"${{OVERRIDES[@]}}"}}',
                             '"${POINT_DIR}"')
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------

# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "config": slurm.config_file,
    "workdir": lambda v: None if v == "" else fc.writable_dir(v),
    "local": fc.anything, "slurm": fc.anything, "collect": fc.anything,
    "parallel": fc.between(1, 1024, "points run at a time; at most one per core"),
    "pin": fc.one_of("auto", "none"),
    "max_parallel": fc.between(0, 100_000, "array elements at a time, 0 = no limit"),
    "job_name": slurm.RULES["job_name"],
    **slurm.RESOURCE_RULES,
    "dry_run": fc.anything,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = fc.OneLineArgumentParser(prog="python -m launch.sweep",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="configs/<name>.py[:variant]")
    parser.add_argument("--workdir", default="",
                        help="sweep folder; '' = /tmp/seqgen/sweeps/<config>[-<variant>]")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--local", action="store_true", help="run the points here")
    mode.add_argument("--slurm", action="store_true", help="one SLURM array job")
    mode.add_argument("--collect", action="store_true", help="only tabulate")
    parser.add_argument("--parallel", type=int, default=1,
                        help="--local: points at a time")
    parser.add_argument("--pin", choices=("auto", "none"), default="auto",
                        help="--local: give each running point its own cores")
    parser.add_argument("--max_parallel", type=int, default=0,
                        help="--slurm: array elements at a time (0 = no limit)")
    parser.add_argument("--job_name", default="")
    slurm.add_resource_flags(parser, gpus_default=1)
    parser.add_argument("--dry-run", "--dry_run", dest="dry_run", action="store_true",
                        help="--slurm: print the script; write and submit nothing")
    args, unknown = parser.parse_known_args(argv)
    cli = slurm.split_overrides(unknown, parser)
    slurm.check_args(RULES, args)
    path_s, _, variant = args.config.partition(":")
    label = pathlib.Path(path_s).stem + (f"-{variant}" if variant else "")
    sweep_dir = pathlib.Path(os.path.abspath(os.path.expanduser(
        args.workdir or f"/tmp/seqgen/sweeps/{label}")))
    points = points_of(args.config, sweep_dir, parse_cli_overrides(cli))
    # A dry run's stdout is the script alone.
    print(f"sweep {args.config}: {len(points)} point(s) under {sweep_dir}", flush=True,
          file=sys.stderr if args.dry_run else sys.stdout)

    if args.slurm:
        res = slurm.resources_from(args)
        shown = ["python", "-m", "launch.sweep", *(sys.argv[1:] if argv is None else argv)]
        script = slurm_array_script(points, args.config, cli, res,
                                    args.job_name or f"sweep-{label}", sweep_dir,
                                    args.max_parallel, args.setup, args.data_dir,
                                    command.shell_join(shown))
        if script is None:
            print("every point is finished; nothing to submit")
            report(points, sweep_dir, {})
        elif args.dry_run:
            sys.stdout.write(script)
        else:
            path = sweep_dir / f"{label}.sbatch"
            print(slurm.submit(script, path), f"(script: {path}); when it is done: "
                  f"python -m launch.sweep --config={args.config} --collect")
        return
    exit_codes = {}
    if args.local:
        exit_codes = run_local(points, args.config, cli, args.parallel, args.pin)
    rows = report(points, sweep_dir, exit_codes)
    if any(r["status"].startswith("failed") for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
