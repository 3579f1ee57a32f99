"""What the terminal shows: bars on a terminal only, logs without escape
codes or carriage returns when stderr is a file, and none of the lines a new
user cannot act on (orbax's read-only warnings, the TPU probe on CPU)."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from seqgen.command import console

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert list(console.progress(range(5), "valid pass")) == [0, 1, 2, 3, 4]
    assert sys.stderr.getvalue() == ""
    with console.busy("writing"):
        pass
    assert sys.stderr.getvalue() == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(console.progress(range(5), "valid pass", unit="batch")) == [0, 1, 2, 3, 4]
    assert "valid pass" in terminal.getvalue() and "\r" in terminal.getvalue()
    shown = list(console.progress(range(3), "x", enabled=False))  # e.g. not process 0
    assert shown == [0, 1, 2]


def _record(pathname: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("x", level, pathname, 1, message, None, None)


def test_the_console_filter_drops_only_the_named_noise():
    f = console._ConsoleFilter()
    orbax = "/site-packages/orbax/checkpoint/checkpoint_manager.py"
    assert not f.filter(_record(orbax, logging.WARNING, "CheckpointManagerOptions."
                                "read_only=True, setting max_to_keep=None."))
    assert not f.filter(_record(orbax, logging.WARNING, "Given directory is read only=/w"))
    assert not f.filter(_record(orbax, logging.INFO, "Saving checkpoint at step 10"))
    assert f.filter(_record(orbax, logging.WARNING, "Checkpoint at step 10 is corrupt"))
    bridge = "/site-packages/jax/_src/xla_bridge.py"
    assert not f.filter(_record(bridge, logging.INFO, "Unable to initialize backend 'tpu': "
                                "INTERNAL: Failed to open libtpu.so: libtpu.so: cannot open "
                                "shared object file: No such file or directory"))
    # A GPU that fails to start, or a TPU library that is there but broken, stays.
    assert f.filter(_record(bridge, logging.INFO, "Unable to initialize backend 'cuda': "
                            "no supported devices found"))
    assert f.filter(_record(bridge, logging.INFO, "Unable to initialize backend 'tpu': "
                            "TPU initialization failed: chip busy"))
    assert f.filter(_record("/work/seqgen/train.py", logging.INFO, "step 1/2"))


@pytest.mark.slow  # end to end, subprocesses: python -m pytest -q -m slow tests
def test_a_first_run_logs_cleanly_to_a_file(tmp_path):
    env = {**os.environ, "SEQGEN_DATA_DIR": str(tmp_path / "data")}  # prepared anew
    env["XLA_FLAGS"] = ""  # one CPU device, as a new user has
    env.pop("JAX_PLATFORMS", None)  # let JAX probe for accelerators, as it does for a user
    workdir = tmp_path / "run"

    def run(*argv):
        proc = subprocess.run([sys.executable, "-m", *argv], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout + proc.stderr

    logs = run("seqgen.main", "--config=configs/default.py:smoke", f"--workdir={workdir}",
               "--config.num_steps=6", "--config.log_every=3")
    logs += run("seqgen.sample", f"--workdir={workdir}", "--length=20")
    logs += run("seqgen.evaluate", f"--workdir={workdir}", "--dynamic")
    assert "Preparing seqgen_shakespeare" in logs  # it did prepare the data
    for noise in ("\r", "\x1b[", "Unable to initialize backend 'tpu'", "read_only",
                  "read only"):
        assert noise not in logs, (noise, logs[-3000:])
    records = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    assert train[0]["step"] == 1 and "chars_per_s" not in train[0]  # no 0.0 before a window
    assert all(r["chars_per_s"] > 0 for r in train[1:])
