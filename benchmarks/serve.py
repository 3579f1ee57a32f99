"""The web page's writing latency: POST /api/write over HTTP, after warm-up.

  python -m benchmarks.serve                     # the shipped writer
  python -m benchmarks.serve --workdir=/tmp/seqgen/writer --repeats=10 \
      --json_out=/tmp/seqgen/bench/serve.json

Starts `seqgen.serve`'s app on uvicorn (localhost, a free port), compiles
the samplers as the server does at start-up (`Models.warm_up`, timed
apart), then times whole requests from an HTTP client: a 40-character line
and a 5-line page (five lines of about 40 characters), each --repeats times
with a new seed per request; median and p10-p90 spread. The targets on a
2-core CPU: a line in <= 1.5 s, a page in <= 4 s.
"""

from __future__ import annotations

import json
import time
import urllib.request

from absl import app, flags

from benchmarks import timing
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS
LINE = "Pack my box with five dozen liquor jugs!"  # 40 characters
PAGE = "\n".join(["To be or not to be, that is the question",  # 5 lines of 40
                  "Whether tis nobler in the mind to suffer",
                  "The slings and arrows of outrageous fate",
                  "Or to take arms against a sea of trouble",
                  "And by opposing end them. To die, sleep."])
TARGETS = {"line": 1.5, "page": 4.0}


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "A synthesis run (default: the shipped writer).")
    flags.DEFINE_integer("repeats", 10, "Timed requests per figure.")
    flags.DEFINE_integer("threads", 0, "XLA threads (0 = the library defaults).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "repeats": fc.between(1, 10_000),
    "threads": fc.THREADS,
    "json_out": fc.JSON_OUT,
}


def run(workdir: str | None, repeats: int, texts: dict[str, str] | None = None,
        targets: dict[str, float] | None = None, unverified: tuple[str, ...] = ()) -> dict:
    """Warm-up, then each of `texts` (default: the line and the 5-line page)
    timed over HTTP, verified by the shipped product reader as seqgen.serve
    writes by default; the texts named in `unverified` are timed again with
    verification off, as '<name>_unverified'. What format_table prints."""
    from seqgen import pretrained
    from seqgen.kinds import load_trained
    from seqgen.web import app as web_app
    from seqgen.web import models

    workdir = pretrained.resolve(workdir, None, "write")
    kind, model, _, step = load_trained(workdir)
    reader_dir = pretrained.resolve(None, None, "read")
    r_kind, r_model, _, r_step = load_trained(reader_dir)
    served = models.Models({"write": models.Loaded(workdir, kind, model, step),
                            "read": models.Loaded(reader_dir, r_kind, r_model, r_step)})
    t0 = time.perf_counter()
    served.warm_up()
    warm_s = time.perf_counter() - t0
    server = web_app.Background(web_app.make_app(served))
    texts = texts or {"line": LINE, "page": PAGE}
    targets = targets or TARGETS
    out = {"workdir": workdir, "step": step, "warmup_s": warm_s, "texts": list(texts),
           **timing.threads_note()}
    runs = [(name, text, True) for name, text in texts.items()] + [
        (name, texts[name], False) for name in unverified]
    try:
        for name, text, verify in runs:
            seed = iter(range(1, 10**6))

            def call(text=text, seed=seed, verify=verify):
                return post_json(f"{server.url}/api/write",
                                 {"text": text, "seed": next(seed), "verify": verify})

            stops = call()["stopped"]  # also the first call at this size
            out[name if verify else f"{name}_unverified"] = {
                **timing.time_calls(call, warmup=0, repeats=repeats), "lines": len(stops),
                "target_s": targets[name], "verified": verify}
    finally:
        server.stop()
    return out


def post_json(url: str, payload: dict, timeout_s: float = 120.0) -> dict:
    """POST `payload` as JSON, the reply's JSON (an HTTP error raises). The
    standard library's client: one request at a time needs no more."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as reply:
        return json.loads(reply.read())


def format_table(r: dict) -> str:
    rows = [f"writer {r['workdir']} (step {r['step']}); warm-up (compiling) {r['warmup_s']:.1f} s"]
    for name in r.get("texts", ("line", "page")):
        x = r[name]
        ok = "ok" if x["median_s"] <= x["target_s"] else "OVER TARGET"
        rows.append(f"{name:5s} ({x['lines']} line(s)): median {x['median_s']:.3f} s, "
                    f"p10-p90 {x['p10_s']:.3f}-{x['p90_s']:.3f} s over {x['n']} requests; "
                    f"target <= {x['target_s']} s: {ok}")
    return "\n".join(rows)


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    r = run(FLAGS.workdir, FLAGS.repeats)
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
