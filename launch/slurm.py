"""SLURM launcher: one sbatch script, one JAX process per GPU through srun.

  python -m launch.slurm --config=configs/enwik8.py --workdir=/shared/runs/enwik8 \
      --nodes=2 --gpus_per_node=8 --time=24:00:00 --partition=gpu --account=myproj \
      --setup='source ~/venvs/seqgen/bin/activate' --dry-run

prints the script; without --dry-run it is written to <workdir>/slurm/<job>.sbatch
and submitted with sbatch. Extra `--config.*` arguments are passed to seqgen.main.

What the script does, and why:
- `--ntasks-per-node` = GPUs per node and `srun` start one process per GPU;
  jax.distributed.initialize() (seqgen/parallel.py) reads the rank, the task
  count and the coordinator (first node of the step) from SLURM and binds
  task i of a node to its GPU SLURM_LOCALID, so tasks see every GPU of their
  node (no --gpus-per-task, which would hide the others).
- `--signal=B:USR1@<s>`: SLURM warns the batch shell <s> seconds before the
  time limit; the shell forwards SIGTERM to the tasks (`scancel --signal`,
  which signals without cancelling), seqgen saves a checkpoint at a step
  all processes agree on and exits, and the shell requeues the job, which
  resumes from that checkpoint. USR1 rather than TERM keeps a plain scancel
  (TERM) from requeueing.
- `--requeue`: a job preempted or hit by a node failure goes back to the
  queue instead of failing; `--open-mode=append` keeps one log across lives.
- `--kill-on-bad-exit=1`: one crashed task ends the step instead of leaving
  the others waiting in a collective until the time limit.
The workdir must be on a filesystem every node sees (orbax writes one
checkpoint from all processes).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence

from launch import command
from seqgen.command import flag_checks as fc
from seqgen.command.errors import UserError
from seqgen.config import files as config_files


@dataclasses.dataclass
class Resources:
    """What one job (or one array element) asks SLURM for."""

    nodes: int = 1  # nodes per job
    gpus_per_node: int = 8  # GPUs per node; 0 = CPU nodes
    tasks_per_node: int = 0  # 0 = one task per GPU (1 on CPU nodes)
    cpus_per_task: int = 8  # host threads per process: data loading, XLA's CPU side
    mem: str = "0"  # per node; '0' = all of the node's memory
    time: str = "24:00:00"  # wall-time limit, HH:MM:SS or D-HH:MM:SS
    partition: str = ""  # '' = the cluster's default
    account: str = ""  # '' = the user's default
    qos: str = ""  # '' = the default quality of service
    constraint: str = ""  # node features, e.g. 'a100|h100'
    signal_seconds: int = 120  # warning before the time limit; > one checkpoint save
    extra_sbatch: tuple[str, ...] = ()  # more #SBATCH options, e.g. ('--exclusive',)

    @property
    def ntasks_per_node(self) -> int:
        return self.tasks_per_node or max(self.gpus_per_node, 1)

    def check(self) -> None:
        if self.nodes < 1:
            sys.exit(f"FATAL --nodes={self.nodes}: a job needs at least 1 node")
        if self.gpus_per_node < 0 or self.tasks_per_node < 0:
            sys.exit("FATAL --gpus_per_node and --tasks_per_node must be >= 0")
        if not re.fullmatch(r"(\d+-)?\d+(:\d\d){0,2}", self.time):
            sys.exit(f"FATAL --time={self.time!r} is not a SLURM time; use HH:MM:SS or "
                     "D-HH:MM:SS")
        if self.signal_seconds < 10:
            sys.exit(f"FATAL --signal_seconds={self.signal_seconds}: give the run time to "
                     "save a checkpoint (>= 10 s, typically 120)")


def sbatch_header(job_name: str, res: Resources, log_path: str,
                  array: str = "") -> list[str]:
    lines = ["#!/bin/bash",
             f"#SBATCH --job-name={job_name}",
             f"#SBATCH --nodes={res.nodes}",
             f"#SBATCH --ntasks-per-node={res.ntasks_per_node}"]
    if res.gpus_per_node:
        lines.append(f"#SBATCH --gpus-per-node={res.gpus_per_node}")
    lines += [f"#SBATCH --cpus-per-task={res.cpus_per_task}",
              f"#SBATCH --mem={res.mem}",
              f"#SBATCH --time={res.time}"]
    for name in ("partition", "account", "qos", "constraint"):
        if getattr(res, name):
            lines.append(f"#SBATCH --{name}={getattr(res, name)}")
    if array:
        lines.append(f"#SBATCH --array={array}")
    lines += [f"#SBATCH --output={log_path}",
              "#SBATCH --open-mode=append",
              "#SBATCH --requeue",
              f"#SBATCH --signal=B:USR1@{res.signal_seconds}"]
    lines += [f"#SBATCH {opt}" for opt in res.extra_sbatch]
    return lines


def environment_lines(setup: str, data_dir: str) -> list[str]:
    lines = ["set -uo pipefail",  # not -e: the requeue logic below reads exit codes
             f"cd {shlex.quote(str(command.REPO))}"]
    if setup:
        lines.append(setup)
    lines += [
        "export PYTHONUNBUFFERED=1  # log lines reach the output file as they happen",
        "export NCCL_DEBUG=WARN  # NCCL problems in the log, not its chatter",
        # One process per GPU: each may use the whole memory of its own GPU.
        "export XLA_PYTHON_CLIENT_MEM_FRACTION=0.90",
        # Host threads of one task: the CPUs SLURM gave it, not the whole node.
        'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    ]
    if data_dir:
        lines.append(f"export SEQGEN_DATA_DIR={shlex.quote(data_dir)}")
    return lines


def run_lines(argv_line: str, mkdir: str) -> list[str]:
    """srun in the background, so the USR1 trap can run while it trains."""
    return [
        f"mkdir -p {mkdir}",
        'echo "$(date -u +%FT%TZ) job ${SLURM_JOB_ID} (restart ${SLURM_RESTART_COUNT:-0})'
        ' on ${SLURM_JOB_NODELIST}"',
        "REQUEUE=0",
        "checkpoint_and_requeue() {",
        '  echo "$(date -u +%FT%TZ) time limit near: checkpointing, then requeueing"',
        "  REQUEUE=1",
        '  scancel --signal=TERM "${SLURM_JOB_ID}"  # to the tasks; the job keeps running',
        "}",
        "trap checkpoint_and_requeue USR1",
        f"srun --kill-on-bad-exit=1 {argv_line} &",
        "SRUN_PID=$!",
        "# wait returns early whenever the trap runs; wait again until srun is done.",
        "while true; do",
        '  wait "${SRUN_PID}"; STATUS=$?',
        '  kill -0 "${SRUN_PID}" 2>/dev/null || break',
        "done",
        'if [ "${REQUEUE}" = 1 ]; then',
        '  scontrol requeue "${SLURM_JOB_ID}"',
        "fi",
        'exit "${STATUS}"',
    ]


def train_script(config: str, workdir: str, overrides: Sequence[str], res: Resources,
                 job_name: str, setup: str = "", data_dir: str = "",
                 generated_by: str = "") -> str:
    """The sbatch script of one multi-node training run."""
    workdir = os.path.abspath(os.path.expanduser(workdir))
    argv = command.seqgen_main(config, workdir, overrides)
    total = res.nodes * res.ntasks_per_node
    lines = sbatch_header(job_name, res, f"{workdir}/slurm-%j.out")
    lines += ["", f"# {generated_by or 'python -m launch.slurm'}",
              f"# {res.nodes} node(s) x {res.ntasks_per_node} task(s) = {total} JAX "
              "process(es), one per GPU; submit with: sbatch <this file>", ""]
    lines += environment_lines(setup, data_dir) + [""]
    lines += run_lines(command.shell_join(argv), shlex.quote(workdir))
    return "\n".join(lines) + "\n"


def submit(script: str, path: pathlib.Path) -> str:
    """Writes the script and submits it; returns sbatch's answer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    try:
        out = subprocess.run(["sbatch", str(path)], check=True, capture_output=True,
                             text=True)
    except FileNotFoundError:
        sys.exit(f"FATAL sbatch not found: run this on a SLURM login node, or use "
                 f"--dry-run (the script is in {path})")
    except subprocess.CalledProcessError as e:
        sys.exit(f"FATAL sbatch {path} failed: {e.stderr.strip()}")
    return out.stdout.strip()


def add_resource_flags(parser: argparse.ArgumentParser, gpus_default: int = 8) -> None:
    d = Resources()
    parser.add_argument("--nodes", type=int, default=d.nodes)
    parser.add_argument("--gpus_per_node", "--gpus-per-node", type=int,
                        default=gpus_default, help="0 = CPU nodes")
    parser.add_argument("--tasks_per_node", type=int, default=0,
                        help="0 = one per GPU (1 on CPU nodes)")
    parser.add_argument("--cpus_per_task", type=int, default=d.cpus_per_task)
    parser.add_argument("--mem", default=d.mem, help="per node; 0 = all")
    parser.add_argument("--time", default=d.time, help="wall-time limit")
    parser.add_argument("--partition", default="")
    parser.add_argument("--account", default="")
    parser.add_argument("--qos", default="")
    parser.add_argument("--constraint", default="")
    parser.add_argument("--signal_seconds", type=int, default=d.signal_seconds,
                        help="SIGTERM this long before the time limit")
    parser.add_argument("--sbatch", action="append", default=[],
                        help="extra #SBATCH option, e.g. --sbatch=--exclusive")
    parser.add_argument("--setup", default="",
                        help="shell line run first, e.g. "
                             "'module load cuda; source venv/bin/activate'")
    parser.add_argument("--data_dir", default="", help="SEQGEN_DATA_DIR on the nodes")


def _sbatch_options(v: list[str]) -> str | None:
    bad = [o for o in v if not o.startswith("--")]
    return f"{bad[0]!r} is not an sbatch option; use e.g. --sbatch=--exclusive" if bad else None


def config_file(v: str) -> str | None:
    """A config file here or a shipped config name (the cluster runs the same checkout)."""
    try:
        config_files.resolve_path((v or "").partition(":")[0])
    except UserError as e:
        return str(e)
    return None


# Every flag's check (seqgen/command/flag_checks.py); the SLURM time format is checked
# by Resources.check.
RESOURCE_RULES = {
    "nodes": fc.between(1, 100_000, "nodes of the job"),
    "gpus_per_node": fc.between(0, 64, "0 = CPU nodes"),
    "tasks_per_node": fc.between(0, 1024, "0 = one per GPU"),
    "cpus_per_task": fc.between(1, 1024, "cores per process"),
    "mem": lambda v: None if re.fullmatch(r"\d+[KMGT]?", v or "") else
    "use a SLURM size such as 64G (0 = all of the node's memory)",
    "time": fc.non_empty("a wall-time limit, HH:MM:SS or D-HH:MM:SS"),
    "partition": fc.anything, "account": fc.anything, "qos": fc.anything,
    "constraint": fc.anything,
    "signal_seconds": fc.at_least(10, "time to save a checkpoint, typically 120"),
    "sbatch": _sbatch_options,
    "setup": fc.anything,  # a shell line; bash -n of the script is the user's check
    "data_dir": fc.anything,  # a path on the nodes, not here
}
RULES = {
    "config": config_file,
    "workdir": fc.non_empty("a workdir on a filesystem all nodes share"),
    "job_name": lambda v: None if re.fullmatch(r"[\w.+-]*", v) else
    "use letters, digits, '.', '_', '+' or '-'",
    **RESOURCE_RULES,
    "dry_run": fc.anything,
}


def resources_from(args: argparse.Namespace) -> Resources:
    res = Resources(nodes=args.nodes, gpus_per_node=args.gpus_per_node,
                    tasks_per_node=args.tasks_per_node, cpus_per_task=args.cpus_per_task,
                    mem=args.mem, time=args.time, partition=args.partition,
                    account=args.account, qos=args.qos, constraint=args.constraint,
                    signal_seconds=args.signal_seconds, extra_sbatch=tuple(args.sbatch))
    res.check()
    return res


def check_args(rules: dict, args: argparse.Namespace) -> None:
    """flag_checks on parsed arguments: the first failure is one FATAL line."""
    try:
        fc.check(rules, vars(args))
    except UserError as e:
        sys.exit(f"FATAL {e}")


def split_overrides(unknown: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Only --config.* overrides may pass through to seqgen.main."""
    bad = [a for a in unknown if not a.startswith("--config.")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)} (only --config.* "
                     "overrides pass through to seqgen.main)")
    return unknown


def main(argv: Sequence[str] | None = None) -> None:
    parser = fc.OneLineArgumentParser(
        prog="python -m launch.slurm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="configs/<name>.py[:variant]")
    parser.add_argument("--workdir", required=True, help="on a filesystem all nodes share")
    parser.add_argument("--job_name", default="")
    add_resource_flags(parser)
    parser.add_argument("--dry-run", "--dry_run", dest="dry_run", action="store_true",
                        help="print the script; write and submit nothing")
    args, unknown = parser.parse_known_args(argv)
    overrides = split_overrides(unknown, parser)
    check_args(RULES, args)
    res = resources_from(args)
    config_name = pathlib.Path(args.config.split(":")[0]).stem
    job_name = args.job_name or f"seqgen-{config_name}"
    shown = ["python", "-m", "launch.slurm", *(sys.argv[1:] if argv is None else argv)]
    script = train_script(args.config, args.workdir, overrides, res, job_name,
                          setup=args.setup, data_dir=args.data_dir,
                          generated_by=command.shell_join(shown))
    if args.dry_run:
        sys.stdout.write(script)
        return
    path = pathlib.Path(os.path.abspath(os.path.expanduser(args.workdir))) / "slurm" \
        / f"{job_name}.sbatch"
    print(submit(script, path), f"(script: {path})")


if __name__ == "__main__":
    main()
