"""Trace the vendored handwriting fonts into pen strokes: seqgen/third_party/hands/traced/.

  pip install -e '.[hands]'                        # scikit-image, SciPy
  python -m tools.trace_fonts                      # rewrites seqgen/third_party/hands/traced
  python -m tools.trace_fonts --sheets=docs/hands  # and the contact sheets
  python -m tools.trace_fonts --only=allura,kristi --out_dir=/tmp/traced --sheets=/tmp/s

Reads every family of <fonts_dir>/catalogue.json (<fonts_dir>/<id>/<id>.ttf),
traces each printable ASCII glyph (seqgen/data/tracing.py: the method, the
quality measures and the rules that drop a glyph or a family) and writes,
in --out_dir:
  <id>.npz     each family that traced cleanly (format: seqgen/data/hands.py)
  QUALITY.md   per family: glyphs traced and dropped, median coverage and
               precision, strokes per glyph
  DROPPED.md   the families and glyphs tracing dropped, with the reason
  README.md    what these files are and the licences they carry
A traced file of a family no longer in the catalogue (or now dropped) is
removed. The same fonts give the same bytes. --sheets also writes one
contact sheet per family (tools/hand_sheets.py), kept or dropped.
"""

from __future__ import annotations

import pathlib
import time

import numpy as np
from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("fonts_dir", "", "The hands folder: catalogue.json and <id>/<id>.ttf "
                        "('' = seqgen/third_party/hands).")
    flags.DEFINE_string("out_dir", "", "Where the traced files go ('' = <fonts_dir>/traced).")
    flags.DEFINE_string("sheets", "", "Folder for one contact sheet PNG per family ('' = none).")
    flags.DEFINE_string("only", "", "Comma-separated family ids to trace ('' = all); with it, "
                        "other families' traced files are left alone.")


def _fonts_dir(v) -> str | None:
    if v == "":
        return None
    path = pathlib.Path(v).expanduser()
    if not (path / "catalogue.json").is_file():
        return "holds no catalogue.json; give a hands folder (like seqgen/third_party/hands)"
    return None


RULES = {"fonts_dir": _fonts_dir, "out_dir": fc.optional_dir, "sheets": fc.optional_dir,
         "only": fc.anything}

README = """\
# Traced handwriting fonts

These files are derived from the fonts in the folders beside this one
(`../<id>/<id>.ttf`): each `<id>.npz` holds the pen strokes that
`python -m tools.trace_fonts` traced from font `<id>`, and it carries that
font's licence, `../<id>/LICENSE` (mostly the SIL Open Font License 1.1;
`../catalogue.json` names each family's licence and copyright, and
`../PROVENANCE.md` where it came from). Redistribute them under those terms.

- `<id>.npz`: the strokes, in x-heights (format: `seqgen/data/hands.py`);
  `seqgen.data.fonts.load_font('<id>')` reads them.
- `QUALITY.md`: how well each family traced.
- `DROPPED.md`: what tracing left out, and why.

Rebuild (same fonts, same bytes): `pip install -e '.[hands]' && python -m
tools.trace_fonts`. The method and the thresholds: `seqgen/data/tracing.py`
and [docs/hands.md](../../../../docs/hands.md).
"""


def _summary(family) -> dict:
    inked = [t for t in family.glyphs.values() if t.glyph is not None and t.glyph.strokes]
    good = [t for t in inked if not t.problem]
    strokes = [len(t.glyph.strokes) for t in good]
    return {
        "present": sum(t.glyph is not None for t in family.glyphs.values()),
        "missing": "".join(c for c, t in family.glyphs.items() if t.glyph is None),
        "traced": len(good) + sum(t.glyph is not None and not t.glyph.strokes
                                  for t in family.glyphs.values()),
        "failed": [t for t in inked if t.problem],
        "coverage": float(np.median([t.coverage for t in inked])) if inked else 0.0,
        "precision": float(np.median([t.precision for t in inked])) if inked else 0.0,
        "strokes": float(np.mean(strokes)) if strokes else 0.0,
        "max_strokes": max(strokes, default=0),
    }


def _quality_md(families, summaries) -> str:
    from seqgen.data import tracing

    lines = ["# How the handwriting fonts traced", "",
             f"`python -m tools.trace_fonts`; thresholds (seqgen/data/tracing.py): a glyph "
             f"fails under {tracing.MIN_COVERAGE} coverage or {tracing.MIN_PRECISION} "
             f"precision or over {tracing.MAX_STROKES} strokes; a family is dropped if a "
             f"letter a-z or A-Z is missing or fails, or more than {tracing.MAX_FAILED} "
             f"of its other glyphs fail. Coverage and precision are medians over the family's "
             f"inked glyphs (failed ones included); strokes per glyph is the mean over the "
             f"traced ones.", "",
             "| family | kept | glyphs traced | failed | missing | coverage | precision "
             "| strokes/glyph | most strokes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f, s in zip(families, summaries, strict=True):
        lines.append(f"| {f.name} | {'no' if f.dropped else 'yes'} | {s['traced']} | "
                     f"{len(s['failed'])} | {len(s['missing'])} | {s['coverage']:.3f} | "
                     f"{s['precision']:.3f} | {s['strokes']:.2f} | {s['max_strokes']} |")
    kept = [s for f, s in zip(families, summaries, strict=True) if not f.dropped]
    lines += ["", f"{len(kept)} of {len(families)} families kept; "
              f"{sum(len(s['failed']) for s in kept)} glyphs dropped from kept families."]
    return "\n".join(lines) + "\n"


def _dropped_md(families, summaries) -> str:
    lines = ["# What tracing dropped", "", "## Families", ""]
    dropped = [f for f in families if f.dropped]
    lines += [f"- {f.name}: {f.dropped}" for f in dropped] or ["None."]
    lines += ["", "## Glyphs of kept families", "",
              "A dropped glyph is drawn with another font (seqgen/data/drawing.py's "
              "fallback); characters a font lacks are not listed.", ""]
    any_glyph = False
    for f, s in zip(families, summaries, strict=True):
        if f.dropped or not s["failed"]:
            continue
        any_glyph = True
        lines.append(f"- {f.name}: " + "; ".join(f"{t.char!r} ({t.problem})"
                                                   for t in s["failed"]))
    if not any_glyph:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main() -> None:
    from seqgen.data import hands

    try:
        from seqgen.data.tracing import trace_family
    except ImportError as err:
        raise UserError(f"tracing needs scikit-image ({err}); pip install -e '.[hands]'") \
            from None
    start = time.perf_counter()
    fonts_dir = pathlib.Path(FLAGS.fonts_dir or hands.HANDS_DIR).expanduser()
    out_dir = pathlib.Path(FLAGS.out_dir).expanduser() if FLAGS.out_dir else (
        fonts_dir / "traced")
    records = hands.catalogue(fonts_dir)
    ids = [r["id"] for r in records]
    only = [s.strip() for s in FLAGS.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in ids]
    if unknown:
        raise UserError(f"--only={FLAGS.only}: {unknown[0]!r} is not in "
                        f"{fonts_dir / 'catalogue.json'}; use ids from it.")
    families, summaries = [], []
    for family_id in only or ids:
        path = fonts_dir / family_id / f"{family_id}.ttf"
        if not path.is_file():
            raise UserError(f"{path} not found; restore the hands folder (git checkout) or "
                            f"rebuild it with python -m tools.fetch_hands.")
        family = trace_family(family_id, path)
        summary = _summary(family)
        families.append(family)
        summaries.append(summary)
        print(f"{family_id:32s} {'dropped' if family.dropped else 'kept':7s} "
              f"traced {summary['traced']:3d}, failed {len(summary['failed']):2d}, "
              f"coverage {summary['coverage']:.3f}, precision {summary['precision']:.3f}, "
              f"{summary['strokes']:.2f} strokes/glyph"
              + (f" ({family.dropped})" if family.dropped else ""), flush=True)
        if family.font is not None:
            hands.save(out_dir / f"{family_id}.npz", hands.pack(
                {c: (g.strokes, g.advance) for c, g in family.font.glyphs.items()},
                family.font.x_height, family.font.baseline))
        if FLAGS.sheets:
            from seqgen.data.outline import OutlineFont
            from tools.hand_sheets import contact_sheet

            contact_sheet(family, OutlineFont(path),
                          pathlib.Path(FLAGS.sheets).expanduser() / f"{family_id}.png")
    if not only:
        kept = {f.name for f in families if not f.dropped}
        for stale in sorted(out_dir.glob("*.npz")):
            if stale.stem not in kept:
                stale.unlink()
        (out_dir / "QUALITY.md").write_text(_quality_md(families, summaries))
        (out_dir / "DROPPED.md").write_text(_dropped_md(families, summaries))
        (out_dir / "README.md").write_text(README)
    size = sum(p.stat().st_size for p in out_dir.glob("*.npz"))
    kept_n = sum(not f.dropped for f in families)
    print(f"traced {len(families)} families ({kept_n} kept) in "
          f"{time.perf_counter() - start:.1f} s; {out_dir}: {size / 1024:.0f} KiB of .npz")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES, cache=False)
