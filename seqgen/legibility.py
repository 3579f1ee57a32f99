"""How legible a synthesis model's writing is: texts it never trained on,
written and read back by a recogniser, scored by character and word error
rate (CER, WER).

  python -m seqgen.legibility                          # the shipped writer, by the judge
  python -m seqgen.legibility --workdir=SYNTH_RUN --reader=shipped --num=200 \
      --biases=0,0.5,1,2 --styles=0,1,2 --out=legibility

The reader that grades is the judge (--recogniser; default the shipped
judge, which never saw the hands the writer learned from), and the table
states its calibration: its CER on --calibration_lines lines of the writer
hands and of the reserved hands, in known text, neither ever trained on
(seqgen/handwriting/calibration.py). --reader also reads every written line
with a second reader, e.g. the product reader that may verify a writer's
lines, reported beside the judge and never instead of it. --verify adds a
verified row for every row: the same texts written as seqgen.write writes
them by default, each line read back by the product reader and written
again while it misses a word or reads badly (seqgen/handwriting/verify.py);
the judge grades both, and the table counts the words each row dropped.

The texts are the synthesis run's test split (drawn handwriting: Shakespeare
lines held out of training and validation; IAM-OnDB: its test set's
transcriptions), the first --num that its alphabet can write. Each is
written at every --biases value, unprimed and primed by every --styles
validation line (a writer the model never trained on when the data has
several), and read back. Prints a markdown table (one row per style, a
CER / WER / stop-rule cell per bias) and writes <out>.md, <out>.json and
<out>.png: a contact sheet of the best and worst lines, each captioned with
what was asked and what was read, and <out>_cer.png: CER against bias, one
curve a style.

Writing, reading back and scoring are seqgen/handwriting/legibility.py;
the same read-back runs at every synthesis evaluation when the config
names a recogniser (config.eval.recogniser).

Dimension letters: none (lists of lines).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError
from seqgen.config.handwriting import BIAS_MAX

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Workdir of a trained synthesis run (default: the "
                        "shipped writer).")
    flags.DEFINE_string("recogniser", None, "The judge: workdir of a recognition run that "
                        "never saw the writer's hands (default: the shipped judge).")
    flags.DEFINE_string("reader", "", "Also read every line with this reader: a recognition "
                        "run's workdir, or 'shipped' for the shipped product reader; '' = no.")
    flags.DEFINE_bool("verify", False, "Also write every cell verified (each line read back "
                      "by the product reader and written again when it fails) and report "
                      "both; the judge grades either way.")
    flags.DEFINE_integer("calibration_lines", 200, "Lines of writer hands and of reserved "
                         "hands the judge reads to state its calibration; 0 = none.")
    flags.DEFINE_integer("num", 200, "Texts written per cell (from the test split).")
    flags.DEFINE_list("biases", ["0", "0.5", "1", "2"], "Sampling biases (Graves eq. 61).")
    flags.DEFINE_list("styles", ["0", "1", "2"], "Validation lines to prime with ('' = none).")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("out", "legibility",
                        "Output stem: .md, .json, .png and _cer.png are written.")


def _numbers(low: float, what: str, integers: bool = False, empty_ok: bool = False,
             high: float = float("inf")):
    def rule(v):
        items = [s.strip() for s in (v or []) if s.strip()]
        try:
            values = [int(s) if integers else float(s) for s in items]
        except ValueError:
            return f"use comma-separated {what}"
        if (not values and not empty_ok) or any(not low <= x <= high for x in values):
            return f"use comma-separated {what}"
        return None
    return rule


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "recogniser": fc.optional(fc.trained_workdir),
    "reader": lambda v: None if v in ("", "shipped") else fc.trained_workdir(v),
    "verify": fc.anything,
    "calibration_lines": fc.between(0, 100_000, "lines per hand set; 0 = no calibration"),
    "num": fc.between(1, 100_000, "texts per cell"),
    "biases": _numbers(0.0, f"biases in [0, {BIAS_MAX}] (Graves' sampling bias), e.g. 0,0.5,1",
                       high=BIAS_MAX),
    "styles": _numbers(0, "validation line indices >= 0, e.g. 0,1,2 ('' = unprimed only)",
                       integers=True, empty_ok=True),
    "seed": fc.at_least(0),
    "out": fc.out_file(),
}


def main() -> None:
    from seqgen import pretrained
    from seqgen.handwriting import calibration, legibility, render  # flags first, then JAX
    from seqgen.kinds import base, load_trained

    t0 = time.time()
    biases = [float(b) for b in FLAGS.biases]
    styles = [int(s) for s in FLAGS.styles if s.strip()]
    writer_dir = pretrained.resolve(FLAGS.workdir, None, "write")
    writer, model, _, step = load_trained(writer_dir)
    if not isinstance(writer, base.Writer):
        raise UserError(f"--workdir={writer_dir} is a {writer.config.kind!r} run; "
                        "it needs a synthesis run")
    readers = {"judge": pretrained.resolve(FLAGS.recogniser, None, "legibility")}
    if FLAGS.reader:
        readers["reader"] = pretrained.resolve(
            None if FLAGS.reader == "shipped" else FLAGS.reader, None, "read")
    loaded = {}
    for role, where in readers.items():
        kind, reader_model, _, _ = load_trained(where)
        if not isinstance(kind, base.Reader):
            raise UserError(f"{where} is a {kind.config.kind!r} run; the {role} needs a "
                            "recognition run (configs/judge.py, configs/reader.py)")
        loaded[role] = (kind, reader_model)
    reader, reader_model = loaded["judge"]
    texts = legibility.test_texts(writer, FLAGS.num)
    primes = [None] + [writer.style_line(i) for i in styles]

    verifier = None
    if FLAGS.verify:  # the product reader verifies; the judge still grades
        from seqgen.handwriting import verify

        product = loaded.get("reader") or load_trained(pretrained.resolve(None, None, "read"))
        verifier = verify.reader(product[0], product[1], writer.meta)
    results = {}
    for p, prime in enumerate(primes):
        row = "unprimed" if prime is None else f"style {styles[p - 1]}"
        for bias in biases:
            results[(row, bias)] = legibility.cell(writer, model, reader, reader_model, texts,
                                                    bias, prime, FLAGS.seed)
            if verifier is not None:
                results[(f"{row}, verified", bias)] = legibility.cell(
                    writer, model, reader, reader_model, texts, bias, prime, FLAGS.seed,
                    verifier=verifier)
    md = legibility.markdown_table(results, biases, len(texts), step)
    md += "\nWords dropped (the judge's read-back misses them), lines with a dropped word" + \
        (" and lines still doubtful after verification" if verifier else "") + ":\n\n" + \
        "\n".join(f"- {r}, bias {b:g}: {c['dropped_words']} words, "
                  f"{c['lines_with_dropped_words']} of {len(texts)} lines"
                  + (f", {c['doubtful']} doubtful" if c["doubtful"] is not None else "")
                  for (r, b), c in results.items()) + "\n"
    also = {}
    if "reader" in loaded:  # the same lines, read by the product reader too
        for key, c in results.items():
            errors, _ = legibility.read_back(*loaded["reader"], writer.meta, c["lines"], texts)
            also[key] = {"cer": errors.cer, "wer": errors.wer, "stop_rate": c["stop_rate"]}
        md += "\nThe same lines read by the product reader (it never grades):\n\n"
        md += legibility.markdown_table(also, biases, len(texts), step)
    calibrated = [calibration.calibrate(reader, reader_model, hands, FLAGS.calibration_lines)
                  for hands in ("writer", "reserved") if FLAGS.calibration_lines]
    if calibrated:
        md += "\nThe judge's calibration (lines of known text, hands it never saw): " + \
            "; ".join(f"{c.hands} hands CER {c.cer:.1%} / WER {c.wer:.1%} ({c.lines} lines)"
                      for c in calibrated) + "\n"
    out = pathlib.Path(FLAGS.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(md)
    report = {"workdir": writer_dir, "recogniser": readers["judge"], "step": step,
              "texts": len(texts), "seconds": round(time.time() - t0, 1),
              "cells": [{"style": r, "bias": b, **{k: v for k, v in c.items()
                                                   if k in ("cer", "wer", "stop_rate",
                                                            "dropped_words",
                                                            "lines_with_dropped_words",
                                                            "doubtful")}}
                        for (r, b), c in results.items()],
              "calibration": [dataclasses.asdict(c) for c in calibrated]}
    if also:
        report["reader"] = readers["reader"]
        report["reader_cells"] = [{"style": r, "bias": b, "cer": c["cer"], "wer": c["wer"]}
                                  for (r, b), c in also.items()]
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    # Contact sheet: the 4 best and 4 worst lines of all cells.
    flat = [(c["per_line_cer"][i], c["lines"][i], c["pairs"][i], r, b)
            for (r, b), c in results.items() for i in range(len(texts))]
    flat.sort(key=lambda x: x[0])
    chosen = flat[:4] + flat[-4:] if len(flat) > 8 else flat
    render.save_lines(out, [x[1] for x in chosen],
                      [f"{r}, bias {b:g}, CER {e:.0%} | asked: {a} | read: {rd}"
                       for e, _, (a, rd), r, b in chosen])
    from seqgen.handwriting import plots  # matplotlib: ~1 s to import

    stem = out.with_suffix("")
    curve = stem.with_name(stem.name + "_cer.png")
    plots.legibility(report["cells"], title=f"{writer_dir}, step {step}", path=curve)
    print(md, end="")
    print(f"wrote {out.with_suffix('.md')}, {out.with_suffix('.json')}, "
          f"{out.with_suffix('.png')} and {curve} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
