"""`python -m seqgen.serve`: a local web page to write, read and sample with
the shipped models or your own runs.

  python -m seqgen.serve                       # the shipped models, http://127.0.0.1:8000
  python -m seqgen.serve --workdir=/tmp/seqgen/synthesis,/tmp/seqgen/recognition
  python -m seqgen.serve --port=8080 --host=0.0.0.0   # reachable from other machines

Each --workdir serves the tab of its kind (synthesis: Write and Your style;
recognition: Read; a text model: Text); a kind no workdir gives comes from
the shipped models when they are installed. The page and its API
(seqgen/web/app.py) work offline: nothing is loaded from elsewhere. By
default the server listens on 127.0.0.1 only; --host=0.0.0.0 lets anyone
who can reach this machine use the models (and save styles into your style
folder). Before listening, the samplers are compiled for the common sizes
(--warmup), so the first request is as fast as the next.
"""

from __future__ import annotations

import logging

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import jax_cache, preamble
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_list("workdir", [], "Trained runs to serve (synthesis, recognition, text), "
                      "comma-separated; the shipped models fill the other tabs.")
    flags.DEFINE_string("host", "127.0.0.1", "Address to listen on (0.0.0.0: every "
                        "network interface).")
    flags.DEFINE_integer("port", 8000, "Port to listen on.")
    flags.DEFINE_bool("warmup", True, "Compile the samplers before listening.")
    flags.DEFINE_bool("verify", True, "Verify written lines by default: each read back by "
                      "the product reader and written again when it fails (a request's "
                      "'verify' overrides it).")
    flags.DEFINE_string("jax_cache_dir", jax_cache.default_dir(),
                        "Persistent XLA compilation cache: a restart compiles nothing "
                        "('' = off).")


def _workdirs(v) -> str | None:
    for w in v or []:
        fix = fc.trained_workdir(w)
        if fix:
            return f"{w}: {fix}"
    return None


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "workdir": _workdirs,
    "host": fc.non_empty("an address to listen on, e.g. 127.0.0.1"),
    "port": fc.between(1, 65535, "a TCP port, e.g. 8000"),
    "warmup": fc.anything,
    "verify": fc.anything,
    "jax_cache_dir": lambda v: None if v == "" else fc.writable_dir(v),
}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    import uvicorn

    from seqgen.web import app as web_app  # JAX once the flags are good
    from seqgen.web import models

    loaded = models.load(FLAGS.workdir)
    if not loaded:
        raise UserError("nothing to serve: no shipped models are installed; give "
                        "--workdir=RUN of a synthesis, recognition or text run")
    served = models.Models(loaded, verify=FLAGS.verify)
    for role, m in loaded.items():
        print(f"{role}: {m.workdir} (step {m.step})")
    if FLAGS.warmup:
        print("compiling the samplers ...", flush=True)
        served.warm_up()
    print(f"serving on http://{FLAGS.host}:{FLAGS.port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(web_app.make_app(served), host=FLAGS.host, port=FLAGS.port,
                log_level="warning")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
