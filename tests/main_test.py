"""The command lines: train, then sample; bad input of every kind ends in
one line naming the setting or file and the fix, never a traceback."""

import os
import subprocess
import sys

import pytest

from seqgen import checkpoint

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    for needle in needles:
        assert needle in last, last


@pytest.mark.slow  # end to end: python -m pytest -q -m slow tests
def test_train_then_sample_from_the_command_line(tmp_path):
    workdir = tmp_path / "run"
    train = run("seqgen.main", "--config=configs/default.py:smoke", f"--workdir={workdir}",
                "--config.num_steps=10", "--config.model.num_layers=3")
    assert train.returncode == 0, train.stderr[-2000:]
    config, _, step = checkpoint.load_run_info(str(workdir))
    assert (config.model.num_layers, step) == (3, 10)  # the override took
    out = run("seqgen.sample", f"--workdir={workdir}", "--prime=ROMEO:", "--length=60",
              "--temperature=0.8", "--num=1")
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout.rstrip("\n")
    assert text.startswith("ROMEO:")
    assert len(text) >= len("ROMEO:") + 60 - 5  # newlines may come out as line ends
    # A prime with symbols the corpus never had: one line listing them.
    bad = run("seqgen.sample", f"--workdir={workdir}", "--prime=ROMEO\u00a7\u00b6:")
    assert_one_line_error(bad, "\u00a7")


def test_config_override_errors_name_the_field(tmp_path):
    for override, needle in (("--config.model.num_layerz=3", "num_layerz"),
                             ("--config.model.num_layers=abc", "num_layers")):
        proc = run("seqgen.main", "--config=configs/default.py:smoke",
                   f"--workdir={tmp_path}", override, timeout=120)
        assert_one_line_error(proc, needle)


@pytest.mark.parametrize("case", ["missing_file", "empty_file", "batch", "window", "workdir"])
def test_bad_input_is_one_line(tmp_path, case):
    small = tmp_path / "small.txt"
    small.write_text("to be or not to be\n" * 3)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    args, needles = {
        "missing_file": (["--config.data.dataset=text_file",
                          f"--config.data.path={tmp_path}/nope.txt"], ["nope.txt"]),
        "empty_file": (["--config.data.dataset=text_file", f"--config.data.path={empty}"],
                       ["empty.txt"]),
        "batch": (["--config.batch_size=12"], ["config.batch_size=12", "multiple of 8"]),
        "window": (["--config.data.dataset=text_file", f"--config.data.path={small}",
                    "--config.seq_len=50", "--config.data.valid_fraction=0.3",
                    "--config.data.test_fraction=0.3"], ["seq_len"]),
        "workdir": ([], ["workdir"]),
    }[case]
    workdir = blocked / "sub" if case == "workdir" else tmp_path / "w"
    proc = run("seqgen.main", "--config=configs/default.py:smoke", f"--workdir={workdir}",
               f"--config.data.data_dir={tmp_path}/tfds", *args, timeout=120)
    assert_one_line_error(proc, *needles)
    assert not list((tmp_path / "tfds").glob("**/incomplete*"))

