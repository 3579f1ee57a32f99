"""Cloud TPU VM launcher: create the VM, put seqgen on every worker, run everywhere.

  python -m launch.tpu --name=seqgen-v4 --zone=us-central2-b --accelerator=v4-32 \
      --config=configs/enwik8.py --workdir=/gcs/runs/enwik8 --bucket=my-bucket --dry-run

prints the gcloud commands; without --dry-run it runs them in order and stops
at the first failure. Extra `--config.*` arguments are passed to seqgen.main.

Steps (--steps picks a subset, e.g. --steps=run to start again on a VM that
exists):
  create   gcloud compute tpus tpu-vm create (--spot for spot capacity)
  install  copy this checkout to every worker (tar + scp) and pip install it
           with the TPU extra; or --install='pip:SPEC' installs SPEC instead
  mount    (with --bucket) gcsfuse-mount the bucket at /gcs on every worker
  run      the same seqgen.main command on all workers (--worker=all)
  delete   (with --delete) delete the VM when the run returns
A multi-host slice runs one JAX process per worker; jax.distributed reads
the workers from the VM's metadata (SEQGEN_DISTRIBUTED=1 asks seqgen to
initialise it). The workdir must be shared by all workers, e.g. a bucket
mounted with gcsfuse (--bucket) or a Filestore share: orbax writes one
checkpoint from all hosts. --detach keeps the run going after ssh returns
(log: ~/seqgen-<name>.log on each worker).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from launch import command
from launch.slurm import check_args, config_file, split_overrides
from seqgen.command import flag_checks as fc

STEPS = ("create", "install", "mount", "run", "delete")
REMOTE_DIR = "~/seqgen"  # where the checkout lands on each worker


def _gcloud(verb: list[str], name: str, zone: str, project: str) -> list[str]:
    """gcloud compute tpus tpu-vm VERB NAME --zone [--project]; scp names the
    VM in its destination (NAME:path) instead."""
    argv = ["gcloud", "compute", "tpus", "tpu-vm", *verb]
    argv += [f"--zone={zone}"] if verb == ["scp"] else [name, f"--zone={zone}"]
    return argv + ([f"--project={project}"] if project else [])


def _on_all_workers(name: str, zone: str, project: str, remote: str) -> list[str]:
    return _gcloud(["ssh"], name, zone, project) + ["--worker=all",
                                                     f"--command={remote}"]


def source_tarball(path: str) -> list[str]:
    """The local command that packs this checkout (no .git, caches or outputs)."""
    return ["tar", "czf", path, "--exclude=.git", "--exclude=__pycache__",
            "--exclude=*.egg-info", "-C", str(command.REPO), "."]


def commands(args: argparse.Namespace, overrides: Sequence[str]) -> list[list[str]]:
    """Every command of the launch, in order, as argv lists."""
    name, zone, project = args.name, args.zone, args.project
    out: list[list[str]] = []
    steps = args.steps.split(",")
    if "create" in steps:
        create = _gcloud(["create"], name, zone, project) + [
            f"--accelerator-type={args.accelerator}", f"--version={args.version}"]
        out.append(create + (["--spot"] if args.spot else []))
    if "install" in steps:
        if args.install == "copy":
            tarball = f"{tempfile.gettempdir()}/seqgen-{name}.tar.gz"
            out.append(source_tarball(tarball))
            out.append(_gcloud(["scp"], name, zone, project)
                       + ["--worker=all", tarball, f"{name}:~/seqgen.tar.gz"])
            remote = (f"mkdir -p {REMOTE_DIR} && tar xzf ~/seqgen.tar.gz -C {REMOTE_DIR}"
                      ' && pip install -q -e "$HOME/seqgen[tpu]"')
        else:
            spec = args.install.removeprefix("pip:")
            remote = f"pip install -q {shlex.quote(spec)}"
        out.append(_on_all_workers(name, zone, project, remote))
    if "mount" in steps and args.bucket:
        # gcsfuse is on Google's TPU VM images; --implicit-dirs shows folders
        # that exist only as object prefixes (checkpoints written elsewhere).
        remote = ("sudo mkdir -p /gcs && sudo chown $USER /gcs && "
                  f"(mountpoint -q /gcs || "
                  f"gcsfuse --implicit-dirs {shlex.quote(args.bucket)} /gcs)")
        out.append(_on_all_workers(name, zone, project, remote))
    if "run" in steps:
        main = command.seqgen_main(args.config, args.workdir, overrides, python="python3")
        remote = f"cd {REMOTE_DIR} && SEQGEN_DISTRIBUTED=1 {command.shell_join(main)}"
        if args.detach:
            remote = (f"cd {REMOTE_DIR} && SEQGEN_DISTRIBUTED=1 nohup "
                      f"{command.shell_join(main)} > ~/seqgen-{name}.log 2>&1 &")
        out.append(_on_all_workers(name, zone, project, remote))
    if "delete" in steps and args.delete:
        out.append(_gcloud(["delete"], name, zone, project) + ["--quiet"])
    return out


# Every flag's check (seqgen/command/flag_checks.py); --steps and --install below.
RULES = {
    "name": lambda v: None if re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", v or "") else
    "use lowercase letters, digits and '-', starting with a letter (a GCE name)",
    "zone": lambda v: None if re.fullmatch(r"[a-z0-9-]+", v or "") else
    "use a zone such as us-central2-b",
    "project": fc.anything,  # '' = gcloud's default
    "accelerator": lambda v: None if re.fullmatch(r"v\d+[a-z]*(pod)?-\d+", v or "") else
    "use an accelerator type such as v4-8, v4-32 or v5litepod-16",
    "version": fc.non_empty("a TPU VM software version, e.g. tpu-ubuntu2204-base"),
    "spot": fc.anything,
    "config": config_file,
    "workdir": fc.non_empty("a workdir all workers share, e.g. /gcs/runs/x"),
    "bucket": lambda v: None if re.fullmatch(r"([a-z0-9][-a-z0-9_.]{1,61}[a-z0-9])?", v) else
    "use a bucket name without gs:// (lowercase, digits, '-', '_', '.')",
    "install": fc.anything, "steps": fc.anything, "detach": fc.anything,
    "delete": fc.anything, "dry_run": fc.anything,
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = fc.OneLineArgumentParser(prog="python -m launch.tpu",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, help="TPU VM name")
    parser.add_argument("--zone", required=True, help="e.g. us-central2-b")
    parser.add_argument("--project", default="", help="'' = gcloud's default project")
    parser.add_argument("--accelerator", default="v4-8",
                        help="accelerator type, e.g. v4-8 (1 host), v4-32 (4 hosts), "
                             "v5litepod-16")
    parser.add_argument("--version", default="tpu-ubuntu2204-base",
                        help="TPU VM software version (image)")
    parser.add_argument("--spot", action="store_true", help="spot capacity (preemptible)")
    parser.add_argument("--config", required=True, help="configs/<name>.py[:variant]")
    parser.add_argument("--workdir", required=True,
                        help="shared by all workers, e.g. /gcs/runs/x with --bucket")
    parser.add_argument("--bucket", default="", help="GCS bucket mounted at /gcs")
    parser.add_argument("--install", default="copy",
                        help="'copy' (this checkout) or 'pip:SPEC'")
    parser.add_argument("--steps", default="create,install,mount,run",
                        help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--detach", action="store_true",
                        help="nohup the run; ssh returns at once")
    parser.add_argument("--delete", action="store_true",
                        help="delete the VM after the run (adds the delete step)")
    parser.add_argument("--dry-run", "--dry_run", dest="dry_run", action="store_true",
                        help="print the commands; run nothing")
    args, unknown = parser.parse_known_args(argv)
    overrides = split_overrides(unknown, parser)
    check_args(RULES, args)
    if args.delete and "delete" not in args.steps:
        args.steps += ",delete"
    unknown_steps = set(args.steps.split(",")) - set(STEPS)
    if unknown_steps:
        parser.error(f"--steps: unknown {sorted(unknown_steps)}; use a subset of "
                     f"{','.join(STEPS)}")
    if not (args.install == "copy" or args.install.startswith("pip:")):
        parser.error(f"--install={args.install!r}; use 'copy' or 'pip:SPEC'")
    if args.workdir.startswith("gs://"):
        parser.error("--workdir=gs://... is not supported (seqgen writes through the "
                     "filesystem); mount the bucket with --bucket and use /gcs/...")
    cmds = commands(args, overrides)
    if args.dry_run:
        for argv_ in cmds:
            print(command.shell_join(argv_))
        return
    for argv_ in cmds:
        print("+", command.shell_join(argv_), flush=True)
        try:
            subprocess.run(argv_, check=True, cwd=pathlib.Path.cwd())
        except FileNotFoundError:
            sys.exit(f"FATAL {argv_[0]} not found: install the Google Cloud SDK "
                     "(gcloud), or use --dry-run to see the commands")
        except subprocess.CalledProcessError as e:
            sys.exit(f"FATAL step failed (exit {e.returncode}): {command.shell_join(argv_)}")


if __name__ == "__main__":
    main()
