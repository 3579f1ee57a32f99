"""Sweeps: the ablations of configs/default.py are what they claim (depth at a
fixed parameter count, by Graves' equations and by the built models); the
local runner trains every point in its own workdir, skips finished points and
tabulates what the runs wrote; the SLURM array script runs the right point."""

import csv
import importlib.util
import json
import os
import pathlib
import stat
import subprocess
import sys
import time

import jax
import pytest
from flax import nnx

from launch import sweep
from seqgen import checkpoint, kinds

REPO = pathlib.Path(__file__).resolve().parents[1]
VOCAB = 76  # symbols of the embedded Shakespeare corpus


def graves_param_count(num_layers, hidden, vocab, skip=True, peepholes=True):
    """Weights of Graves' eqs. 1-5 and 7-11 with one-hot input: per layer
    W_x (input -> 4 gates), W_h, 4 biases, 3 peephole vectors; then W_hy
    from every layer (skips) or the last one, and b_y."""
    total = 0
    for n in range(num_layers):
        inputs = vocab if n == 0 else (vocab + hidden if skip else hidden)
        total += 4 * hidden * (inputs + hidden) + 4 * hidden + 3 * hidden * peepholes
    return total + (num_layers if skip else 1) * hidden * vocab + vocab


def load_default():
    spec = importlib.util.spec_from_file_location("default_cfg", REPO / "seqgen/configs/default.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_points():
    points = []
    load_default().sweep(lambda **kw: points.append(kw))
    return points


def test_default_sweep_has_graves_ablations_and_depth_keeps_the_parameter_count():
    points = default_points()
    names = [sweep.point_name(p) for p in points]
    assert len(set(names)) == len(names) >= 4
    assert {} in points
    assert {"model.skip": False} in points and {"model.peepholes": False} in points
    depth = [p for p in points if "model.num_layers" in p]
    assert len({p["model.num_layers"] for p in depth}) >= 2
    norm = [p for p in points if p.get("optim.clip_norm")]
    assert norm and all(p["model.clip_preactivations"] == 0 for p in norm)

    module = load_default()
    base = module.get_config("sweep")
    kind = kinds.make(base)
    kind.load_data()
    assert kind.vocab.size == VOCAB
    target = graves_param_count(base.model.num_layers, base.model.hidden, VOCAB)
    assert target == 984_652  # 2x256 by hand: 341,760 + 603,904 + 38,988
    for p in depth:
        config = module.get_config("sweep")
        config.model.num_layers = p["model.num_layers"]
        config.model.hidden = p["model.hidden"]
        model = kinds.make(config, kind.meta).build_model(nnx.Rngs(0))
        built = sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
        assert built == graves_param_count(config.model.num_layers, config.model.hidden,
                                           VOCAB)
        assert abs(built - target) / target < 0.01, (p, built, target)


TINY = '''"""Tiny sweep for tests: python -m launch.sweep --config=tiny.py --local"""
from seqgen.config import text as text_config


def get_config(arg=None):
    c = text_config.smoke(text_config.base())
    c.num_steps = 6
    c.eval_every = 6
    c.log_every = 3
    c.checkpoint_every = 6
    c.eval_test = False
    c.data.valid_fraction = 0.002
    c.sample.length = 10
    return c


def sweep(add):
    add()
    add(**{"model.skip": False})
    add(**{"model.num_layers": 0})  # impossible: this point must fail, alone
'''


def run_sweep(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "launch.sweep", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow  # end to end, subprocesses: python -m pytest -q -m slow tests
def test_local_sweep_runs_every_point_skips_finished_ones_and_tabulates(tmp_path):
    config = tmp_path / "tiny.py"
    config.write_text(TINY)
    root = tmp_path / "sweep"
    # All three at once: the impossible one fails while the others train.
    args = (f"--config={config}", "--local", "--parallel=3", f"--workdir={root}")
    first = run_sweep(*args)
    assert first.returncode == 1, first.stderr  # the impossible point failed
    table = first.stdout[first.stdout.index("| point"):]
    for name in ("`base`", "`model.skip=False`", "`model.num_layers=0`"):
        assert name in table

    with open(root / "results.csv") as f:
        rows = {r["point"]: r for r in csv.DictReader(f)}
    assert rows["base"]["status"] == rows["model.skip=False"]["status"] == "done"
    assert rows["model.num_layers=0"]["status"].startswith("failed")
    assert "config.model.num_layers=0" in (root / "model.num_layers=0" / "sweep.log"
                                           ).read_text()
    for name, skip in (("base", True), ("model.skip=False", False)):
        workdir = root / name
        config_saved, _, step = checkpoint.load_run_info(str(workdir))
        assert (config_saved.model.skip, step) == (skip, 6)  # its own override, run
        last_valid = [json.loads(l) for l in open(workdir / "metrics.jsonl")
                      if '"valid"' in l][-1]
        assert float(rows[name]["valid.bpc"]) == pytest.approx(last_valid["bpc"])
        assert int(rows[name]["num_params"]) == graves_param_count(2, 32, VOCAB, skip=skip)

    t0 = time.time()
    again = run_sweep(*args)
    assert "skip base: finished earlier" in again.stdout
    assert "skip model.skip=False: finished earlier" in again.stdout
    assert "start model.num_layers=0" in again.stdout  # only the failed one reruns
    assert time.time() - t0 < 60


def test_array_indices_are_compressed_to_ranges():
    assert sweep.index_ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"
    assert sweep.index_ranges([3]) == "3"


def test_a_point_with_an_unknown_field_is_one_line(tmp_path):
    config = tmp_path / "bad.py"
    config.write_text(TINY.replace('"model.skip"', '"model.skipp"'))
    with pytest.raises(SystemExit, match=r"sweep point model.skipp=False: config has no "
                                         r"field 'model.skipp'"):
        sweep.points_of(str(config), tmp_path, {})


def test_slurm_array_script_runs_the_point_of_its_index(tmp_path):
    root = tmp_path / "sw"
    proc = run_sweep("--config=configs/default.py:sweep", "--slurm", f"--workdir={root}",
                     "--time=2:00:00", "--max_parallel=4", "--config.seed=3", "--dry-run",
                     timeout=60)
    assert proc.returncode == 0, proc.stderr
    script = proc.stdout
    assert script.startswith("#!/bin/bash\n")
    points = default_points()
    opts = [l.split(None, 1)[1] for l in script.splitlines() if l.startswith("#SBATCH ")]
    for expected in (f"--array=0-{len(points) - 1}%4", "--nodes=1", "--ntasks-per-node=1",
                     "--gpus-per-node=1", "--time=2:00:00", "--requeue",
                     f"--output={root}/slurm-%A_%a.out"):
        assert expected in opts, (expected, opts)
    path = tmp_path / "array.sbatch"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0

    # Run element 1 with a stand-in srun that records its arguments.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > {tmp_path}/args\n')
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", SLURM_JOB_ID="7",
               SLURM_ARRAY_TASK_ID="1", SLURM_JOB_NODELIST="n1")
    done = subprocess.run(["bash", str(path)], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "args").read_text().splitlines()
    point = points[1]
    name = sweep.point_name(point)
    assert args[:4] == ["--kill-on-bad-exit=1", "python", "-m", "seqgen.main"]
    assert "--config=configs/default.py:sweep" in args
    assert f"--workdir={root}/{name}" in args and "--config.seed=3" in args
    for k, v in point.items():
        assert f"--config.{k}={v!r}" in args
    assert (root / name).is_dir()
