"""The vendored handwriting fonts (seqgen/third_party/hands): every family in
catalogue.json has its subset .ttf and LICENSE, the pinned sha256s match the
files and PROVENANCE.md, every font draws every required character, every
licence is a free one, and a wheel carries the folder."""

import configparser
import fnmatch
import hashlib
import json
import pathlib
import re

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from tools import fetch_hands

ROOT = pathlib.Path(__file__).resolve().parents[1]
HANDS = ROOT / "seqgen" / "third_party" / "hands"
CATALOGUE = json.loads((HANDS / "catalogue.json").read_text())
ALLOWED = {"OFL-1.1", "OFL-1.0", "Apache-2.0", "CC-BY-SA-3.0",
           "GPL-2.0-or-later WITH Font-exception-2.0",
           "GPL-3.0-or-later WITH Font-exception-2.0"}
IDS = [e["id"] for e in CATALOGUE]


def test_enough_families_with_unique_lowercase_ids():
    assert len(CATALOGUE) >= 40
    assert len(set(IDS)) == len(IDS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in IDS), IDS
    folders = {p.name for p in HANDS.iterdir() if p.is_dir()}
    # traced/: the pen strokes tools/trace_fonts.py derives from the fonts.
    assert folders - {"traced"} == set(IDS)


def test_the_required_characters_match_the_tool():
    assert fetch_hands.REQUIRED == ("abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:'\"!?-()")


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
def test_family_folder_hashes_licence_and_coverage(entry):
    folder = HANDS / entry["id"]
    font_path = folder / f"{entry['id']}.ttf"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["LICENSE", font_path.name])
    assert hashlib.sha256(font_path.read_bytes()).hexdigest() == entry["subset_sha256"]
    assert entry["license"] in ALLOWED
    assert entry["source"] in ("debian", "npm") and entry["version"]
    assert re.fullmatch(r"[0-9a-f]{64}", entry["original_sha256"])
    assert entry["style"] in ("joined", "print") and entry["style_basis"]
    licence = (folder / "LICENSE").read_text(encoding="utf-8")
    words = {"OFL": "Open Font License", "Apache": "Apache License",
             "GPL": "GNU GENERAL PUBLIC LICENSE", "CC-BY-SA": "Attribution-ShareAlike"}
    needle = next(v for k, v in words.items() if entry["license"].startswith(k))
    assert needle.lower() in licence.lower()
    if entry["license"].startswith("GPL"):
        assert "special exception" in licence

    font = TTFont(str(font_path))
    cmap, glyphs = font.getBestCmap(), font.getGlyphSet()
    assert set(cmap) <= set(range(0x20, 0x7F))  # printable ASCII only

    def drawn(ch):
        pen = BoundsPen(glyphs)
        glyphs[cmap[ord(ch)]].draw(pen)
        return pen.bounds is not None
    missing = [c for c in fetch_hands.REQUIRED if ord(c) not in cmap or not drawn(c)]
    assert not missing, missing
    optional = "".join(c for c in fetch_hands.OPTIONAL if ord(c) in cmap and drawn(c))
    assert optional == entry["optional"]
    family = font["name"].getDebugName(1)
    if entry["reserved_font_names"] or entry["license"] == "OFL-1.0":
        # A subset is a Modified Version: it may not carry a Reserved Font Name.
        assert family == entry["renamed_to"]
        for name in entry["reserved_font_names"]:
            for record in font["name"].names:  # the names a font menu shows
                if record.nameID in (1, 3, 4, 6, 16, 17, 18, 21, 22, 25):
                    assert name.lower() not in record.toUnicode().lower(), record


def test_provenance_lists_every_family_with_both_hashes():
    rows = {}
    for line in (HANDS / "PROVENANCE.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] in IDS:
            rows[cells[0]] = line
    assert set(rows) == set(IDS)
    for entry in CATALOGUE:
        assert entry["original_sha256"] in rows[entry["id"]]
        assert entry["subset_sha256"] in rows[entry["id"]]
        assert entry["license"] in rows[entry["id"]]


def test_dropped_names_no_vendored_family():
    dropped = (HANDS / "DROPPED.md").read_text()
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", dropped, re.M))
    assert listed and not listed & set(IDS)


def test_package_data_carries_every_file():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["seqgen"].splitlines()
                if p.strip() and not p.strip().startswith("#")]
    for path in HANDS.rglob("*"):
        if path.is_file():
            rel = path.relative_to(ROOT / "seqgen").as_posix()
            assert any(fnmatch.fnmatch(rel, p) and rel.count("/") == p.count("/")
                       for p in patterns), rel
