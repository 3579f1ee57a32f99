"""Crash drill: SIGKILL a training run at random moments, restart it each
time, and check that it ends bit-identical to a run that was never killed.

  python -m tools.crash_drill --kills=20 --workdir=/tmp/seqgen/drill   # a longer soak

Each life of the run is `python -m seqgen.main` on a tiny text config with a
checkpoint every step. A life is killed (SIGKILL: no handler, no cleanup)
either after a random delay once it has made progress, or, every other
life, the moment orbax has a checkpoint half-written (its temporary folder
exists). The restarted run must resume from the newest complete checkpoint
(orbax renames a checkpoint's folder only when it is complete) and the
final parameters must equal the uninterrupted reference bit for bit (CPU).
tests/crash_drill_test.py runs 5 kills. A test tool, not part of the
package: it lives in tools/ and runs from a clone.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from seqgen.command import flag_checks as fc

STEPS = 60  # updates of the drilled run; each takes a few ms at this size
OVERRIDES = ("--config=configs/default.py:smoke", f"--config.num_steps={STEPS}",
             "--config.checkpoint_every=1", "--config.keep_checkpoints=2",
             "--config.eval_every=1000", "--config.eval_test=False",
             "--config.log_every=10", "--config.model.hidden=16")
REPO = pathlib.Path(__file__).resolve().parents[1]


def _start(workdir: pathlib.Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "seqgen.main", f"--workdir={workdir}",
                             *OVERRIDES], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _complete_steps(workdir: pathlib.Path) -> list[int]:
    folder = workdir / "checkpoints"
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) \
        if folder.exists() else []


def _saving(workdir: pathlib.Path) -> bool:
    folder = workdir / "checkpoints"
    return folder.exists() and any("tmp" in p.name for p in folder.iterdir())


def _final_params(workdir: pathlib.Path) -> tuple[int, list[np.ndarray]]:
    import jax  # the drill's own process needs no JAX until here
    from flax import nnx

    from seqgen.kinds import load_trained

    _, model, _, step = load_trained(str(workdir))
    return step, [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.Param))]


def _finish(proc: subprocess.Popen, what: str) -> None:
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} exited {proc.returncode}: {err[-2000:]}")


def _wait_for_progress(proc: subprocess.Popen, workdir: pathlib.Path, before: list[int],
                       deadline: float) -> None:
    """Until a checkpoint newer than `before` is complete, so every life counts."""
    while time.time() < deadline and proc.poll() is None:
        done = _complete_steps(workdir)
        if done and (not before or done[-1] > before[-1]):
            return
        time.sleep(0.002)


def _preempt(workdir: pathlib.Path) -> dict:
    """One life stopped by SIGTERM, as a cluster does before a time limit."""
    before = _complete_steps(workdir)
    proc = _start(workdir)
    _wait_for_progress(proc, workdir, before, time.time() + 300)
    sent = time.time()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    stopped = re.search(r"stopped by SIGTERM at step (\d+)", err or "")
    return {"sigterm": True, "exit_code": proc.returncode,
            "seconds_to_exit": round(time.time() - sent, 2),
            "stopped_at": int(stopped.group(1)) if stopped else None,
            "complete_after": _complete_steps(workdir)[-1:]}


def run(workdir: str | pathlib.Path, kills: int = 5, seed: int = 0,
        sigterms: int = 1) -> dict:
    """Reference run, then a run killed `kills` times and stopped by SIGTERM
    `sigterms` times, restarted after each; returns what happened."""
    rng = random.Random(seed)
    root = pathlib.Path(workdir)
    shutil.rmtree(root, ignore_errors=True)
    reference, drilled = root / "reference", root / "drilled"
    _finish(_start(reference), "the reference run")

    lives = []
    while len(lives) < kills:
        before = _complete_steps(drilled)
        if before and before[-1] >= STEPS:
            break  # finished before all kills were spent
        during_save = len(lives) % 2 == 1
        proc = _start(drilled)
        deadline = time.time() + 300
        _wait_for_progress(proc, drilled, before, deadline)
        if during_save:
            while time.time() < deadline and proc.poll() is None and not _saving(drilled):
                time.sleep(0.0005)
        else:
            time.sleep(rng.uniform(0.0, 0.3))
        killed_while_saving = _saving(drilled)
        if proc.poll() is not None:
            _finish(proc, "a drilled life")  # it finished first: fine, if it succeeded
            lives.append({"killed": False})
            continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        lives.append({"killed": True, "resumed_from": before[-1] if before else None,
                      "complete_after": _complete_steps(drilled)[-1:],
                      "killed_while_saving": killed_while_saving})
    lives += [_preempt(drilled) for _ in range(sigterms)]
    _finish(_start(drilled), "the final life")

    step_ref, want = _final_params(reference)
    step_got, got = _final_params(drilled)
    identical = step_ref == step_got == STEPS and all(
        a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(want, got, strict=True))
    return {"lives": lives, "kills": sum(life.get("killed", False) for life in lives),
            "kills_while_saving": sum(life.get("killed_while_saving", False) for life in lives),
            "final_step": step_got, "bit_identical": bool(identical)}


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "kills": fc.between(1, 100_000, "times the run is killed"),
    "seed": fc.at_least(0),
    "workdir": fc.writable_dir,
}


def main() -> None:
    parser = fc.OneLineArgumentParser(prog="python -m tools.crash_drill",
                                      description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default="/tmp/seqgen/crash_drill")
    args = parser.parse_args()
    fc.check_or_exit(RULES, vars(args))
    result = run(args.workdir, args.kills, args.seed)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["bit_identical"] else 1)


if __name__ == "__main__":
    main()
