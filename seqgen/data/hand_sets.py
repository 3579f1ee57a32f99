"""Three disjoint sets of hands: the writer's, the judge's and the reserved.

A synthesis model is judged by a recogniser that never saw the hands the
writer learned from, and both are checked on hands nothing trained or was
tuned on. Which family goes where is decided once, by this rule, written
down (2026-12-07) before any model was trained on the traced families or any
result seen:

1. The single-line fonts keep their roles: EMS Felix, Readability and
   Readability Italic (fonts.RESERVED_FONTS) are reserved; the seven the
   shipped writer learned (fonts.WRITER_FONTS) are writer hands.
2. The traced handwriting families (fonts that trace cleanly, each drawn
   from one person's hand) are split by style, joined (script faces whose
   letters connect) and print, as the catalogue records it, so that every
   set gets both kinds. A family whose lowercase letters are capitals (the
   catalogue's caps_only) writes another text than the one asked, and
   reading it back would count its case as errors: it is in no set.
3. Within each style, the families are ordered by the sha256 of
   "seqgen hands v1:" + the family id (an order no one chose) and dealt by
   position i: i % 10 == 0 reserved, i % 10 in (1, 4, 7) judge, otherwise
   writer: about 10% reserved, 30% judge and 60% writer.
4. If that leaves fewer than MIN_RESERVED traced families reserved or
   MIN_JUDGE judge, the writer families that come first in the sha256 order
   (over both styles) move to the short set until it has its minimum.

Nothing trains or is tuned on the reserved set; the judge trains on judge
hands only; the writer on writer hands only; the product reader (what
verifies written lines and reads the user's ink) on writer and judge hands.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping

SALT = "seqgen hands v1:"
NAMES = ("writer", "judge", "reserved")
MIN_RESERVED = 5  # traced families reserved, besides the three reserved single-line fonts
MIN_JUDGE = 12  # traced families only the judge learns
STYLES = ("joined", "print")


@dataclasses.dataclass(frozen=True)
class Hands:
    """Family ids per set; disjoint, and together every family."""

    writer: tuple[str, ...]
    judge: tuple[str, ...]
    reserved: tuple[str, ...]


def _order(family: str) -> str:
    return hashlib.sha256((SALT + family).encode()).hexdigest()


def split(traced: Mapping[str, str], writer_fonts: tuple[str, ...],
          reserved_fonts: tuple[str, ...]) -> Hands:
    """The rule above. `traced`: family id -> style ('joined' or 'print')
    of every traced family that traces cleanly; `writer_fonts`,
    `reserved_fonts`: the single-line fonts' roles."""
    unknown = {s for s in traced.values() if s not in STYLES}
    if unknown:
        raise ValueError(f"hand styles {sorted(unknown)}: use one of {STYLES}")
    sets: dict[str, list[str]] = {"writer": [], "judge": [], "reserved": []}
    for style in STYLES:
        families = sorted((f for f, s in traced.items() if s == style), key=_order)
        for i, family in enumerate(families):
            where = "reserved" if i % 10 == 0 else "judge" if i % 10 in (1, 4, 7) else "writer"
            sets[where].append(family)
    for where, least in (("reserved", MIN_RESERVED), ("judge", MIN_JUDGE)):
        for family in sorted(sets["writer"], key=_order):
            if len(sets[where]) >= least:
                break
            sets["writer"].remove(family)
            sets[where].append(family)
    return Hands(writer=tuple(writer_fonts) + tuple(sorted(sets["writer"])),
                 judge=tuple(sorted(sets["judge"])),
                 reserved=tuple(reserved_fonts) + tuple(sorted(sets["reserved"])))


@functools.cache
def sets() -> Hands:
    """The rule applied to the vendored families (seqgen/third_party/hands)."""
    from seqgen.data import fonts, hands

    traced = set(fonts.TRACED_FONTS)
    styles = {r["id"]: r["style"] for r in hands.catalogue()
              if r["id"] in traced and not r.get("caps_only")}
    return split(styles, fonts.WRITER_FONTS, fonts.RESERVED_FONTS)


def named(spec: str) -> tuple[str, ...] | None:
    """The families of 'hands:writer', 'hands:judge' or a '+' union of set
    names ('hands:writer+judge'); None when `spec` names no hand set."""
    if not spec.startswith("hands:"):
        return None
    names = [n.strip() for n in spec[len("hands:"):].split("+")]
    unknown = [n for n in names if n not in NAMES]
    if unknown or not names:
        raise ValueError(f"{spec!r}: name hand sets from {NAMES}, joined by '+', e.g. "
                         "'hands:writer+judge'")
    return tuple(f for n in names for f in getattr(sets(), n))
