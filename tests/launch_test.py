"""The cluster launchers' dry runs: the SLURM script parses as bash and asks
for what a multi-node JAX job needs; its requeue logic works when run; the
TPU commands are the gcloud commands of the Cloud TPU VM docs; and the
distributed start is detected from the environments the launchers create."""

import os
import shlex
import signal
import stat
import subprocess
import sys
import time

import pytest

from launch import slurm
from seqgen import parallel
from seqgen.command.errors import ConfigError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dry_run(module, *args):
    proc = subprocess.run([sys.executable, "-m", module, *args, "--dry-run"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def sbatch_options(script):
    return [line.split(None, 1)[1] for line in script.splitlines()
            if line.startswith("#SBATCH ")]


def test_slurm_script_parses_and_asks_for_one_task_per_gpu(tmp_path):
    script = dry_run("launch.slurm", "--config=configs/enwik8.py", f"--workdir={tmp_path}/run",
                     "--nodes=2", "--gpus_per_node=8", "--time=12:00:00",
                     "--partition=gpu", "--account=proj",
                     "--setup=source ~/venvs/seqgen/bin/activate",
                     "--config.model.num_layers=3")
    path = tmp_path / "job.sbatch"
    path.write_text(script)
    syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    assert script.startswith("#!/bin/bash\n")

    opts = sbatch_options(script)
    for expected in ("--nodes=2", "--ntasks-per-node=8", "--gpus-per-node=8",
                     "--time=12:00:00", "--partition=gpu", "--account=proj", "--requeue",
                     "--signal=B:USR1@120", "--open-mode=append",
                     f"--output={tmp_path}/run/slurm-%j.out"):
        assert expected in opts, (expected, opts)
    # One GPU per task is chosen by jax.distributed from SLURM_LOCALID, so the
    # tasks must see all GPUs of their node.
    assert not any(o.startswith("--gpus-per-task") for o in opts)
    # #SBATCH lines are only read before the first command.
    body = script.splitlines()
    last_sbatch = max(i for i, l in enumerate(body) if l.startswith("#SBATCH"))
    first_command = min(i for i, l in enumerate(body) if l and not l.startswith("#"))
    assert last_sbatch < first_command

    srun = [l for l in body if l.startswith("srun ")]
    assert len(srun) == 1 and srun[0].endswith(" &")
    argv = shlex.split(srun[0][:-2])
    assert argv[:2] == ["srun", "--kill-on-bad-exit=1"]
    assert argv[2:6] == ["python", "-m", "seqgen.main", "--config=configs/enwik8.py"]
    assert f"--workdir={tmp_path}/run" in argv and "--config.model.num_layers=3" in argv
    assert not any("coordinator" in a or "process_id" in a for a in argv)  # SLURM detects
    for line in ("source ~/venvs/seqgen/bin/activate", "export PYTHONUNBUFFERED=1",
                 f"cd {REPO}", "trap checkpoint_and_requeue USR1"):
        assert line in [l.split("  #")[0] for l in body], line
    assert any(l.strip().startswith('scancel --signal=TERM "${SLURM_JOB_ID}"') for l in body)
    assert any(l.strip() == 'scontrol requeue "${SLURM_JOB_ID}"' for l in body)


def fake_slurm_bin(tmp_path, train_seconds):
    """srun, scancel and scontrol stand-ins that log what they are asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, pid = tmp_path / "calls.log", tmp_path / "srun.pid"
    tools = {
        # A "task" that trains until SIGTERM, then exits 0 as seqgen does.
        "srun": f"""echo "srun $*" >> {log}
echo $$ > {pid}
trap 'echo "task got TERM" >> {log}; exit 0' TERM
for i in $(seq {train_seconds * 10}); do sleep 0.1; done
echo "task finished" >> {log}""",
        "scancel": f'echo "scancel $*" >> {log}\nkill -TERM "$(cat {pid})"',
        "scontrol": f'echo "scontrol $*" >> {log}',
    }
    for name, body in tools.items():
        p = bin_dir / name
        p.write_text("#!/bin/bash\n" + body + "\n")
        p.chmod(p.stat().st_mode | stat.S_IEXEC)
    return bin_dir, log


@pytest.mark.parametrize("near_limit", [True, False])
def test_slurm_script_checkpoints_and_requeues_only_near_the_time_limit(tmp_path,
                                                                       near_limit):
    res = slurm.Resources(nodes=1, gpus_per_node=0)
    script = slurm.train_script("configs/default.py", str(tmp_path / "w"), [], res, "t")
    bin_dir, log = fake_slurm_bin(tmp_path, train_seconds=30 if near_limit else 1)
    path = tmp_path / "job.sh"
    path.write_text(script)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", SLURM_JOB_ID="42",
               SLURM_JOB_NODELIST="node1")
    proc = subprocess.Popen(["bash", str(path)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if near_limit:
        deadline = time.time() + 20
        while not (tmp_path / "srun.pid").exists() and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGUSR1)  # what --signal=B:USR1@120 sends
    out, err = proc.communicate(timeout=30)
    calls = log.read_text()
    assert proc.returncode == 0, (out, err, calls)
    if near_limit:
        assert "scancel --signal=TERM 42" in calls
        assert "task got TERM" in calls and "task finished" not in calls
        # Requeued only after the task stopped (its checkpoint is written).
        assert calls.index("task got TERM") < calls.index("scontrol requeue 42")
    else:
        assert "task finished" in calls
        assert "scancel" not in calls and "requeue" not in calls


def test_slurm_rejects_a_bad_time_and_stray_arguments(tmp_path):
    for args, needle in ((["--time=2 days"], "--time"), (["--oops=1"], "--oops")):
        proc = subprocess.run([sys.executable, "-m", "launch.slurm",
                               "--config=configs/default.py", f"--workdir={tmp_path}",
                               *args, "--dry-run"], cwd=REPO, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode != 0
        assert needle in proc.stderr.strip().splitlines()[-1]


def test_tpu_dry_run_prints_the_gcloud_commands(tmp_path):
    out = dry_run("launch.tpu", "--name=tv", "--zone=us-central2-b",
                  "--accelerator=v4-32", "--project=p1", "--spot",
                  "--config=configs/enwik8.py", "--workdir=/gcs/runs/e8",
                  "--bucket=my-bucket", "--config.num_steps=10")
    cmds = [shlex.split(line) for line in out.strip().splitlines()]
    gcloud = [c for c in cmds if c[0] == "gcloud"]
    verbs = [c[4] for c in gcloud]
    assert verbs == ["create", "scp", "ssh", "ssh", "ssh"]
    for c in gcloud:
        assert c[:4] == ["gcloud", "compute", "tpus", "tpu-vm"]
        assert "--zone=us-central2-b" in c and "--project=p1" in c
        # The VM is the positional NAME, except for scp: SRC... NAME:DEST.
        positional = [a for a in c[5:] if not a.startswith("--")]
        assert positional == ([c[-2], "tv:~/seqgen.tar.gz"] if c[4] == "scp" else ["tv"])
    create = gcloud[0]
    assert "--accelerator-type=v4-32" in create and "--spot" in create
    assert any(a.startswith("--version=") for a in create)
    scp = gcloud[1]
    assert "--worker=all" in scp and scp[-1] == "tv:~/seqgen.tar.gz"
    tar = cmds[1]  # packs the checkout right before the copy
    assert tar[:2] == ["tar", "czf"] and tar[2] == scp[-2] and "--exclude=.git" in tar
    for ssh in gcloud[2:]:
        assert "--worker=all" in ssh
    install, mount, run = (c[-1].removeprefix("--command=") for c in gcloud[2:])
    assert 'pip install -q -e "$HOME/seqgen[tpu]"' in install
    assert "gcsfuse --implicit-dirs my-bucket /gcs" in mount
    run_argv = shlex.split(run)
    assert run_argv[:4] == ["cd", "~/seqgen", "&&", "SEQGEN_DISTRIBUTED=1"]
    assert run_argv[4:8] == ["python3", "-m", "seqgen.main", "--config=configs/enwik8.py"]
    assert "--workdir=/gcs/runs/e8" in run_argv and "--config.num_steps=10" in run_argv
    # Every remote command is valid shell.
    for remote in (install, mount, run):
        assert subprocess.run(["bash", "-n", "-c", remote]).returncode == 0, remote


def test_tpu_steps_subset_and_pip_install():
    out = dry_run("launch.tpu", "--name=tv", "--zone=z", "--config=configs/default.py",
                  "--workdir=/w", "--steps=install,run", "--install=pip:seqgen[tpu]==0.1",
                  "--detach", "--delete")
    lines = out.strip().splitlines()
    assert len(lines) == 3 and "create" not in out
    assert "pip install -q 'seqgen[tpu]==0.1'" in shlex.split(lines[0])[-1]
    assert "nohup" in lines[1] and "~/seqgen-tv.log" in lines[1]
    assert shlex.split(lines[2])[4] == "delete"


def test_distributed_start_is_detected_from_flags_env_and_slurm():
    d = parallel.distributed_setting
    assert d(environ={}) is None  # a laptop run initialises nothing
    assert d("h:1234", 2, 1, environ={}) == (
        "flags", dict(coordinator_address="h:1234", num_processes=2, process_id=1))
    with pytest.raises(ConfigError, match="--process_id=2"):
        d("h:1234", 2, 2, environ={})
    with pytest.raises(ConfigError, match="--num_processes=0"):
        d("h:1234", 0, 0, environ={})
    env = {"JAX_COORDINATOR_ADDRESS": "h:9", "JAX_NUM_PROCESSES": "4", "JAX_PROCESS_ID": "3"}
    assert d(environ=env) == ("JAX_COORDINATOR_ADDRESS", dict(
        coordinator_address="h:9", num_processes=4, process_id=3))
    # Inside an srun step of a multi-task job; not in the batch shell itself
    # (no SLURM_STEP_NODELIST there), nor in a one-task job.
    step = {"SLURM_NTASKS": "16", "SLURM_STEP_NODELIST": "n[1-2]", "SLURM_PROCID": "5"}
    assert d(environ=step) == ("SLURM", {})
    assert d(environ={"SLURM_NTASKS": "16"}) is None
    assert d(environ={**step, "SLURM_NTASKS": "1"}) is None
    assert d(environ={"SEQGEN_DISTRIBUTED": "1"}) == ("SEQGEN_DISTRIBUTED=1", {})


def test_sigterm_in_a_lone_process_saves_a_checkpoint_and_stops(tmp_path, monkeypatch):
    """What the launchers rely on (SLURM --signal, spot VMs): SIGTERM during
    training ends the run at the next step with a checkpoint of that step
    (tests/multiprocess_test.py resumes from one)."""
    from seqgen import checkpoint, kinds, train
    from seqgen.config.text import base, smoke

    c = smoke(base())
    c.update(num_steps=12, checkpoint_every=100, eval_every=100, log_every=4,
             eval_test=False)
    c.data.valid_fraction = 0.002
    kind_class = kinds.make(c).__class__
    real = kind_class.train_batch

    def batch_then_sigterm(self, step, *a):
        if step == 4:  # while the 5th update is being prepared
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, step, *a)

    monkeypatch.setattr(kind_class, "train_batch", batch_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    out = train.train_and_evaluate(c, str(tmp_path))
    assert out == {"step": 5, "preempted": True}
    assert signal.getsignal(signal.SIGTERM) == before  # handler restored
    assert checkpoint.Checkpointer(str(tmp_path), keep=3, every=1).latest_step() == 5
    assert not (tmp_path / "summary.json").exists()
