"""Peak memory: training the shipped writer's recipe, and the web server.

  python -m benchmarks.memory                        # 30 training steps, 5 requests
  python -m benchmarks.memory --steps=60 --json_out=/tmp/seqgen/bench/memory.json

- training: `python -m seqgen.main --config=configs/writer.py` (the
  shipped synthesis model: 3x256, K = 10, M = 20, 300 drawn writers) in a
  new temporary workdir, cut to --steps steps with one evaluation (32
  written validation texts) and one checkpoint at the end, so that every
  kind of work of the full 4,000-step run happens once; the peak resident
  set (ru_maxrss of the finished child, os.wait4) covers drawing the
  data, compiling, the steps, the evaluation and the checkpoint.
- server: `python -m seqgen.serve` (the three shipped models) on a free
  port with an empty compilation cache, so its warm-up compiles; VmHWM
  (/proc/PID/status) once it answers, and again after --requests requests
  each of one line and of a 10-line page (benchmarks/wait.py's texts).

Figures in MiB, for the record (no target). Memory grows with the text a
request writes (the sampler keeps every step's window weights: L x U per
line), so a page of 80-character lines asks more than these.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from absl import app, flags

from benchmarks import serve, timing
from benchmarks.wait import LINE, PAGE, ROOT
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_integer("steps", 30, "Training steps of the writer recipe (the full run: "
                         "4,000; the peak is reached in the first evaluation).")
    flags.DEFINE_integer("requests", 5, "Requests of each size sent to the server.")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


RULES = {
    "steps": fc.between(2, 100_000, "training steps"),
    "requests": fc.between(0, 10_000, "requests of each size"),
    "json_out": fc.JSON_OUT,
}


def _env(cache: str) -> dict:
    env = dict(os.environ, SEQGEN_JAX_CACHE=cache, PYTHONPATH=str(ROOT))
    env["XLA_FLAGS"] = timing.one_device_xla_flags(env.get("XLA_FLAGS", ""))
    return env


def _status_mb(pid: int, field: str) -> float:
    """VmHWM / VmRSS of a running process, MiB (/proc reports kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def training(steps: int, work: Path) -> dict:
    """Peak RSS of a short run of configs/writer.py (module docstring)."""
    cache = tempfile.mkdtemp(dir=work, prefix="cache_")
    cmd = [sys.executable, "-m", "seqgen.main", "--config=configs/writer.py",
           f"--workdir={work / 'writer'}", f"--config.num_steps={steps}",
           f"--config.eval_every={steps}", f"--config.checkpoint_every={steps}",
           f"--config.log_every={max(steps // 3, 1)}", f"--jax_cache_dir={cache}"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(cache), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"training failed ({proc.returncode}):\n{err[-2000:]}")
    return {"steps": steps, "peak_rss_mb": usage.ru_maxrss / 1024.0,
            "wall_s": time.perf_counter() - t0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server(requests: int, work: Path, timeout_s: float = 600.0) -> dict:
    """The server's VmHWM after its warm-up and after the requests."""
    cache = tempfile.mkdtemp(dir=work, prefix="cache_")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "seqgen.serve", f"--port={port}",
                             f"--jax_cache_dir={cache}"], env=_env(cache), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:  # the server listens once its warm-up is done
            if proc.poll() is not None:
                raise RuntimeError(f"seqgen.serve exited ({proc.returncode}) before listening")
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"seqgen.serve did not answer within {timeout_s:.0f} s")
            try:
                urllib.request.urlopen(f"{url}/api/models", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        out = {"ready_s": time.perf_counter() - t0,
               "after_warmup_mb": _status_mb(proc.pid, "VmHWM"),
               "rss_after_warmup_mb": _status_mb(proc.pid, "VmRSS")}
        for i in range(requests):
            for text in (LINE, PAGE):
                serve.post_json(f"{url}/api/write", {"text": text, "seed": i})
        out.update(requests=requests, after_requests_mb=_status_mb(proc.pid, "VmHWM"),
                   rss_after_requests_mb=_status_mb(proc.pid, "VmRSS"))
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def format_table(r: dict) -> str:
    t, s = r["training"], r["server"]
    return "\n".join([
        f"training configs/writer.py ({t['steps']} steps, one evaluation and checkpoint): "
        f"peak RSS {t['peak_rss_mb']:.0f} MiB ({t['wall_s']:.0f} s)",
        f"server (three shipped models), ready in {s['ready_s']:.0f} s: peak RSS after "
        f"warm-up {s['after_warmup_mb']:.0f} MiB (resident {s['rss_after_warmup_mb']:.0f}); "
        f"after {s['requests']} line and {s['requests']} 10-line page requests "
        f"{s['after_requests_mb']:.0f} MiB (resident {s['rss_after_requests_mb']:.0f})"])


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    with tempfile.TemporaryDirectory(prefix="seqgen_memory_") as tmp:
        work = Path(tmp)
        r = {"server": server(FLAGS.requests, work), "training": training(FLAGS.steps, work),
             **timing.threads_note()}
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
