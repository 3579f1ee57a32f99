"""A real multi-process run on this machine: two `python -m seqgen.main`
processes (2 CPU devices each) joined through jax.distributed on localhost,
with gloo CPU collectives. SIGTERM to one of them stops both at one agreed
step with a checkpoint (what the SLURM launcher relies on); the same command
resumes; and the losses of every step, and the validation score, are those
of one process on one device fed the same global batches."""

import importlib.util
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time

import jax
import pytest

from seqgen import train

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Tiny and quick: the smoke model, a short validation split, every step
# logged, and a constant learning rate so the number of steps asked for
# does not change the trajectory.
SETTINGS = {"optim.schedule": "constant", "optim.warmup_steps": 0, "log_every": 1,
            "eval_every": 1000, "eval_test": False, "data.valid_fraction": 0.002,
            "checkpoint_every": 1000, "sample.length": 20}
OVERRIDES = [f"--config.{k}={v}" for k, v in SETTINGS.items()]


def smoke_config(num_steps):
    """configs/default.py:smoke with SETTINGS, as seqgen.main would build it."""
    spec = importlib.util.spec_from_file_location("default_cfg",
                                                  f"{REPO}/configs/default.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    c = module.get_config("smoke")
    for dotted, value in {**SETTINGS, "num_steps": num_steps}.items():
        *parents, leaf = dotted.split(".")
        node = c
        for p in parents:
            node = node[p]
        node[leaf] = value
    return c


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def start(workdir, num_steps, process_id=None, num_processes=1, port=0, devices=1):
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
               JAX_CPU_COLLECTIVES_IMPLEMENTATION="gloo")
    argv = [sys.executable, "-m", "seqgen.main", "--config=configs/default.py:smoke",
            f"--workdir={workdir}", f"--config.num_steps={num_steps}", *OVERRIDES]
    if process_id is not None:
        argv += [f"--coordinator_address=localhost:{port}",
                 f"--num_processes={num_processes}", f"--process_id={process_id}"]
    log = open(f"{workdir}.p{process_id or 0}.log", "a")
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def finish(procs, timeout=120):
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()  # SIGTERM would only ask for a checkpoint
            raise
    return [p.returncode for p in procs]


def rows(workdir, split):
    out = [json.loads(l) for l in open(f"{workdir}/metrics.jsonl")]
    return [r for r in out if r["split"] == split]


def log_text(workdir, pid):
    return open(f"{workdir}.p{pid}.log").read()


@pytest.mark.slow  # end to end: python -m pytest -q -m slow tests
def test_two_processes_stop_on_sigterm_resume_and_match_one_process(tmp_path):
    t0 = time.time()
    two = tmp_path / "two"
    two.mkdir()

    # Life 1: train "forever" until process 1 gets SIGTERM.
    port = free_port()
    procs = [start(two, 100_000, i, 2, port, devices=2) for i in (0, 1)]
    deadline = time.time() + 120
    while time.time() < deadline:
        if (two / "metrics.jsonl").exists() and rows(two, "train"):  # training
            break
        assert all(p.poll() is None for p in procs), log_text(two, 0)[-3000:]
        time.sleep(0.2)
    procs[1].send_signal(signal.SIGTERM)
    assert finish(procs) == [0, 0], log_text(two, 0)[-3000:] + log_text(two, 1)[-3000:]
    stopped = max(r["step"] for r in rows(two, "train"))
    assert f"stopped by SIGTERM at step {stopped}/100000" in log_text(two, 0)
    steps = sorted(int(p.name) for p in (two / "checkpoints").iterdir() if p.name.isdigit())
    assert steps[-1] == stopped, steps
    assert not (two / "summary.json").exists()  # not finished

    # Life 2: the same command, now with an end, resumes and finishes.
    total = stopped + 4
    port = free_port()
    assert finish([start(two, total, i, 2, port, devices=2) for i in (0, 1)]) == [0, 0]
    assert f"resumed from {two}/checkpoints at step {stopped}" in log_text(two, 0)
    t_two = time.time() - t0

    # One process, one device, the same global batches (in this process).
    one = tmp_path / "one"
    train.train_and_evaluate(smoke_config(total), str(one), devices=jax.devices()[:1])

    ref = {r["step"]: r["loss"] for r in rows(one, "train")}
    got = [(r["step"], r["loss"]) for r in rows(two, "train")]
    # Process 0 alone writes: every step exactly once across both lives.
    assert [s for s, _ in got] == list(range(1, total + 1)), got
    assert set(ref) == set(range(1, total + 1))
    for step, loss in got:
        assert math.isclose(loss, ref[step], rel_tol=1e-5), (step, loss, ref[step])
    (v1,), (v2,) = rows(one, "valid"), rows(two, "valid")
    assert v1["step"] == v2["step"] == total
    assert math.isclose(v1["bpc"], v2["bpc"], rel_tol=1e-5), (v1, v2)
    assert json.loads((two / "summary.json").read_text())["step"] == total
    samples = sorted(p.name for p in (two / "samples").iterdir())
    assert samples == [f"step_{total:07d}.txt"]
    assert "process 1 of 2, 2 local / 4 global devices" in log_text(two, 1)
    print(f"two-process lives: {t_two:.1f} s; stopped at {stopped}; all: "
          f"{time.time() - t0:.1f} s")
