"""The shipped models measured against their cards (`compare`), and the
small fixed figures recorded at export (`record`); the command is
`python -m seqgen.pretrained.check`.

This loads each model the way the commands do (from the installed package),
prepares the data (the embedded sets: a few seconds, no network) and
measures two kinds of number, each line of its output saying which:

  card        a headline number of the card's JSON block, recomputed the
              way the card measured it where that takes seconds: the
              recogniser's CER and WER on all 300 validation and 300 test
              lines, the text model's BPC and next-character error on the
              whole validation text.
  check.json  a small fixed figure, written at export by `record` and stated
              on the card as such (not a headline number): every model's
              metrics on its first CHECK_BATCHES validation batches of
              CHECK_BATCH lines (text: windows), and, for a writer, the CER
              of a few texts written with a fixed seed and read back by
              the shipped recogniser. The writer's headline likelihood (all
              300 validation lines) takes a minute on 2 cores: the check
              does not recompute it.

A likelihood off by more than TOLERANCE (relative) fails: floating-point
sums differ a little between machines; 1% is far above that and far below
what a wrong weight or a changed data pipeline does. Error rates are
compared in percentage points: CER_POINTS for reading fixed lines (best-path
decoding only changes where a sum rounds differently), READBACK_POINTS for
the read-back (sampling diverges between machines once one draw rounds
differently, so the figure moves by the noise of a few lines; a broken
writer reads back at 80-100%).
"""

from __future__ import annotations

import itertools
import json
import pathlib
from typing import Any

from seqgen import pretrained
from seqgen.command.errors import UserError

CHECK_BATCHES = 2
CHECK_BATCH = 16
TOLERANCE = 0.01
CER_POINTS = 0.2
READBACK_POINTS = 15.0
READBACK_BIAS = 2.0
READBACK_SEED = 0
READBACK_TEXTS = ("the quick brown fox", "jumps over the lazy dog", "to be or not to be",
                  "that is the question", "all the world is a stage", "we few, we happy few",
                  "now is the winter of our", "brevity is the soul of wit",
                  "a horse, a horse", "my kingdom for a horse", "what light through",
                  "yonder window breaks", "the rest is silence", "once more unto the breach",
                  "if music be the food", "of love, play on")
CHECK_FILE = "check.json"
CALIBRATION_LINES = 200  # lines of each hand set a judge's or reader's card states


def _fixed_batches(kind, model) -> dict[str, float]:
    from flax import nnx

    from seqgen import eval_loops

    graphdef, params = nnx.split(model, nnx.Param)
    batches = itertools.islice(kind.eval_batches("valid", CHECK_BATCH, 0, 1), CHECK_BATCHES)
    sums, _ = eval_loops.run(kind, graphdef, params, batches, CHECK_BATCH)
    return {k: float(v) for k, v in kind.report(sums).items()}


def readback_cer_pct(writer, texts: list[str], bias: float, seed: int) -> float:
    """CER (%) of `texts` written by `writer` (a loaded Trained) at `bias`
    with `seed` and read by the shipped recogniser."""
    import jax

    from seqgen.handwriting import error_rates
    from seqgen.kinds import load_trained

    reader = load_trained(str(pretrained.path("recogniser")))
    out = writer.kind.write(writer.model, list(texts), bias, jax.random.key(seed))
    read = reader.kind.read(reader.model, out["lines"])
    return 100 * error_rates.total(list(zip(texts, read, strict=True))).cer


def measure(workdir: str) -> dict[str, Any]:
    """What check.json holds for `workdir`: its fixed-batch metrics and, for
    a writer, its read-back CER."""
    from seqgen.kinds import base as kinds_base
    from seqgen.kinds import load_trained

    trained = load_trained(workdir)
    trained.kind.load_data()
    out: dict[str, Any] = {"batches": CHECK_BATCHES, "batch": CHECK_BATCH, "split": "valid",
                           "metrics": _fixed_batches(trained.kind, trained.model)}
    if isinstance(trained.kind, kinds_base.Writer):
        out["readback"] = {"texts": list(READBACK_TEXTS), "bias": READBACK_BIAS,
                           "seed": READBACK_SEED,
                           "cer_pct": readback_cer_pct(trained, list(READBACK_TEXTS),
                                                       READBACK_BIAS, READBACK_SEED),
                           "tolerance_points": READBACK_POINTS}
    return out


def record(folder: pathlib.Path) -> dict[str, Any]:
    """Measures and writes folder/check.json (at export)."""
    measured = measure(str(folder))
    (folder / CHECK_FILE).write_text(json.dumps(measured, indent=2) + "\n")
    return measured


def _headline(trained, name: str) -> dict[str, float]:
    """The card's headline numbers that take seconds to recompute, by the
    card's own method; {} for a kind with none that cheap."""
    from flax import nnx

    from seqgen import eval_loops
    from seqgen.handwriting import calibration
    from seqgen.kinds import base as kinds_base

    kind, model = trained.kind, trained.model
    if isinstance(kind, kinds_base.Reader):
        got = {}
        for split in ("valid", "test"):
            errors, _, _ = kind.split_errors(model, split)
            got[f"{split}_cer_pct"] = 100 * errors.cer
            got[f"{split}_wer_pct"] = 100 * errors.wer
        # A judge's or reader's calibration: hands it never saw (CALIBRATION_LINES each).
        card = pretrained.numbers(name)
        for hands in ("writer", "judge", "reserved"):
            if f"{hands}_hands_cer_pct" in card:
                c = calibration.calibrate(kind, model, hands, CALIBRATION_LINES)
                got[f"{hands}_hands_cer_pct"] = 100 * c.cer
                got[f"{hands}_hands_wer_pct"] = 100 * c.wer
        return got
    if isinstance(kind, kinds_base.Writer):
        # Its whole-split likelihood takes a minute and its legibility hours:
        # check.json's fixed batches and read-back stand in for them.
        return {}
    # A model of its data (text): the card's whole-validation metrics, as
    # seqgen.evaluate computes them.
    graphdef, params = nnx.split(model, nnx.Param)
    b = trained.config.eval_batch_size
    sums, _ = eval_loops.run(kind, graphdef, params, kind.eval_batches("valid", b, 0, 1), b)
    card = pretrained.numbers(name)
    return {f"valid_{k}": float(v) for k, v in kind.report(sums).items()
            if f"valid_{k}" in card}


def _line(name: str, metric: str, got: float | None, want: float, source: str,
          *, points: float | None = None) -> str:
    """One compared number: ending in ' ok' when within tolerance."""
    if points is not None:
        ok, allowed = got is not None and abs(got - want) <= points, f"{points:g} points"
    else:
        ok = got is not None and abs(got - want) <= TOLERANCE * max(abs(want), 1e-6)
        allowed = f"{TOLERANCE:.0%}"
    if ok:
        return f"{name}: {metric} = {got:.4g} ({source} {want:.4g}, within {allowed}) ok"
    return f"{name}: {metric} = {got} but {source} says {want} (tolerance {allowed})"


def compare(name: str) -> list[str]:
    """Each checked number of shipped model `name`, one line each; a line
    not ending in ' ok' is off its card or its check.json."""
    from seqgen.kinds import load_trained

    folder = pretrained.path(name)
    try:
        recorded = json.loads((folder / CHECK_FILE).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise UserError(f"{folder / CHECK_FILE}: cannot be read ({e}); rewrite it with "
                        "python -m seqgen.pretrained.export") from None
    trained = load_trained(str(folder))
    trained.kind.load_data()
    got = _fixed_batches(trained.kind, trained.model)
    lines = [_line(name, k, got.get(k), v, "check.json") for k, v in recorded["metrics"].items()]
    headline = _headline(trained, name)
    card = pretrained.numbers(name) if headline else {}
    for k, v in headline.items():
        if k not in card:
            raise UserError(f"{folder / pretrained.MODEL_CARD}: its JSON block lacks {k!r}, "
                            "a headline number the check recomputes; add it")
        lines.append(_line(name, k, v, card[k], "card",
                           points=CER_POINTS if k.endswith("_pct") else None))
    if "readback" in recorded:
        want = recorded["readback"]
        got_cer = readback_cer_pct(trained, want["texts"], want["bias"], want["seed"])
        lines.append(_line(name, "readback_cer_pct", got_cer, want["cer_pct"], "check.json",
                           points=want["tolerance_points"]))
    return lines
