"""Rebuild seqgen/third_party/hands/ from the pinned Debian and npm packages.

  python -m tools.fetch_hands                     # rewrites seqgen/third_party/hands
  python -m tools.fetch_hands --out_dir=/tmp/hands --download_dir=/tmp/dl

Each family in seqgen/third_party/hands/catalogue.json names its package
(Debian: `apt-get download NAME=VERSION`, npm: `npm pack NAME@VERSION`), the
font file inside it and its sha256. This downloads the packages, checks
every original file against its pinned sha256 (a mismatch stops the run),
subsets it to printable ASCII (U+0020-U+007E, outlines kept, hinting and
layout tables dropped, saved as an sfnt .ttf), and writes
<id>/<id>.ttf, <id>/LICENSE (the licence text as the package ships it),
PROVENANCE.md and catalogue.json (the subset's sha256 and the optional
characters it covers, recomputed). DROPPED.md is left as it is.

OFL fonts with a Reserved Font Name (and OFL-1.0 fonts, whose font name is
reserved as a whole) are renamed inside the subset (name table, CFF names)
to "Seqgen Hand <first 8 hex of the original's sha256>": a subset is a
Modified Version, which may not carry the reserved name.

Needs apt-get and dpkg-deb (Debian or Ubuntu; run `apt-get update` first),
npm, and fontTools (a dependency of matplotlib).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS
HANDS = pathlib.Path(__file__).resolve().parents[1] / "seqgen" / "third_party" / "hands"
ASCII = range(0x20, 0x7F)
REQUIRED = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            ".,;:'\"!?-()")
OPTIONAL = "&$%/@#+=*[]<>_~`^{}|\\"
DROP_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "kern", "DSIG", "STAT", "MATH",
               "morx", "mort", "feat", "prop", "trak", "bsln", "opbd", "lcar", "ltag"]


def _define_flags() -> None:
    flags.DEFINE_string("out_dir", "", "The folder to rewrite ('' = seqgen/third_party/"
                        "hands); its catalogue.json pins what is fetched.")
    flags.DEFINE_string("download_dir", "", "Where packages are downloaded and unpacked "
                        "('' = a temporary folder, removed afterwards).")


RULES = {"out_dir": fc.optional_dir, "download_dir": fc.optional_dir}


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(cmd: list[str], cwd: pathlib.Path, fix: str) -> None:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise UserError(f"`{cmd[0]}` is missing: {fix}") from None
    if done.returncode:
        lines = (done.stderr + done.stdout).strip().splitlines()
        said = next((ln for ln in lines if "error" in ln.lower() or ln.startswith("E:")),
                    lines[-1] if lines else "no message")
        raise UserError(f"`{' '.join(cmd)}` failed ({said.strip()}): {fix}")


def unpack(entry: dict, downloads: pathlib.Path) -> pathlib.Path:
    """The folder the entry's package is unpacked in (downloaded once per package)."""
    package, version = entry["package"], entry["version"]
    key = (package + "@" + version).replace("/", "+").replace(":", "_")
    root = downloads / key
    if root.is_dir():
        return root
    work = downloads / (key + ".download")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if entry["source"] == "debian":
        _run(["apt-get", "download", f"{package}={version}"], work,
             f"run `apt-get update` on Debian or Ubuntu (bookworm or later has "
             f"{package} {version}; a newer release may have moved on: pin its version "
             "in catalogue.json)")
        debs = list(work.glob("*.deb"))
        _run(["dpkg-deb", "-x", str(debs[0]), str(root)], work,
             "apt-get install dpkg")
    elif entry["source"] == "npm":
        _run(["npm", "pack", f"{package}@{version}"], work,
             "install npm (apt-get install npm), reach the npm registry, and pin a "
             "published version in catalogue.json")
        tgz = next(work.glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            tar.extractall(root, filter="data")
    else:
        raise UserError(f"catalogue.json: {entry['id']} has unknown source "
                        f"{entry['source']!r} (debian or npm)")
    shutil.rmtree(work)
    return root


def licence_text(entry: dict, root: pathlib.Path) -> str:
    """The licence files the entry names, joined: in-package paths, or the system's
    /usr/share/common-licenses/ texts a Debian copyright file points to."""
    parts = []
    for name in entry["license_files"]:
        path = pathlib.Path(name) if name.startswith("/") else root / name
        if not path.is_file():
            raise UserError(f"{path} is missing (named by catalogue.json for "
                            f"{entry['id']}): on Debian or Ubuntu it comes with base-files")
        parts.append(f"==> {name} <==\n\n{path.read_text(encoding='utf-8', errors='replace')}"
                     if len(entry["license_files"]) > 1 else path.read_text(
                         encoding="utf-8", errors="replace"))
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"


def rename(font, new_family: str) -> None:
    """Take the original (reserved) font name out of a subset."""
    ps = new_family.replace(" ", "")
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in (16, 17, 18, 21, 22, 25)]
    for record in table.names:
        value = {1: new_family, 2: "Regular", 3: f"{ps};seqgen subset",
                 4: f"{new_family} Regular", 6: f"{ps}-Regular"}.get(record.nameID)
        if value is not None:
            record.string = value
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [f"{ps}-Regular"]
        top = cff.topDictIndex[0]
        for attr, value in (("FullName", f"{new_family} Regular"), ("FamilyName", new_family)):
            if hasattr(top, attr):
                setattr(top, attr, value)


def subset(src: pathlib.Path, dst: pathlib.Path, new_family: str | None) -> None:
    from fontTools import subset as ft_subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # its per-table notes
    options = ft_subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables = sorted(set(options.drop_tables) | set(DROP_TABLES))
    options.name_IDs = ["*"]
    options.name_languages = [0x0409]
    options.notdef_outline = True
    options.glyph_names = False
    options.flavor = None  # woff input is saved as a plain sfnt
    font = ft_subset.load_font(str(src), options, dontLoadGlyphNames=True)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=ASCII)
    subsetter.subset(font)
    if new_family:
        rename(font, new_family)
    ft_subset.save_font(font, str(dst), options)


def coverage(path: pathlib.Path) -> tuple[str, str]:
    """(required characters missing or empty, optional characters drawn)."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    cmap, glyphs = font.getBestCmap() or {}, font.getGlyphSet()

    def drawn(ch: str) -> bool:
        name = cmap.get(ord(ch))
        if name is None:
            return False
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        return pen.bounds is not None
    return ("".join(c for c in REQUIRED if not drawn(c)),
            "".join(c for c in OPTIONAL if drawn(c)))


def provenance(entries: list[dict]) -> str:
    lines = [
        "# Handwriting fonts (subsets)",
        "",
        "Free-licensed handwriting fonts from Debian main and npm (Google Fonts families",
        "packaged as `@expo-google-fonts/*` or `@fontsource/*`), one regular face per",
        "family. Each `<id>/<id>.ttf` here is **a subset derived from the original** (a",
        "Modified Version in the OFL's words): only printable ASCII (U+0020-U+007E),",
        "outlines kept, hinting and layout tables (GSUB/GPOS/GDEF/kern) dropped. Each",
        "folder carries the licence text its package ships (`LICENSE`; for Debian",
        "packages the package's copyright file, followed by the system's",
        "/usr/share/common-licenses text where the copyright file points there).",
        "",
        "Reserved Font Names: for OFL fonts with a Reserved Font Name (and OFL-1.0",
        "fonts, whose font name is reserved as a whole) the subset's internal font",
        "names (name table IDs 1-4, 6; CFF FontName/FamilyName/FullName) are changed to",
        "`Seqgen Hand <8 hex>` (the first 8 hex digits of the original's sha256), and",
        "the typographic names (IDs 16-18, 21, 22, 25) are removed. The file and folder",
        "name is the family_id, a lowercase identifier of this repository, not a font",
        "name presented to users. The family column below names the original it was",
        "derived from, for attribution only.",
        "",
        "GPL fonts: the subset is the pinned original run through `tools/fetch_hands.py`;",
        "the original (the preferred form here) comes from the pinned package. The GPL",
        "font exception is extended to the subsets.",
        "",
        "Rebuild everything, checking each original's sha256: `python -m tools.fetch_hands`.",
        "Families considered and left out, and why: DROPPED.md.",
        "",
        "| family_id | family (original) | source | original file | original sha256 "
        "| subset sha256 | licence | copyright (from the font) | subset |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        source = (f"Debian `{e['package']}` {e['version']}" if e["source"] == "debian"
                  else f"npm `{e['package']}` {e['version']}")
        reserved = ", ".join(e["reserved_font_names"]) or "the font name, OFL-1.0"
        note = (f"subset of the original; renamed inside to {e['renamed_to']!r} "
                f"(Reserved Font Name: {reserved})" if e.get("renamed_to")
                else "subset of the original")
        cells = [e["id"], e["family"], source, f"`{e['file']}`", f"`{e['original_sha256']}`",
                 f"`{e['subset_sha256']}`", e["license"],
                 e["copyright"].replace("|", "/").replace("\n", " "), note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def build(out: pathlib.Path, downloads: pathlib.Path) -> list[str]:
    catalogue_path = out / "catalogue.json"
    if not catalogue_path.is_file():
        raise UserError(f"{catalogue_path} is missing: give --out_dir a folder holding a "
                        "catalogue.json (seqgen/third_party/hands has one)")
    entries = json.loads(catalogue_path.read_text())
    notes = []
    for entry in entries:
        root = unpack(entry, downloads)
        original = root / entry["file"]
        if not original.is_file():
            raise UserError(f"{entry['package']} {entry['version']} has no {entry['file']} "
                            f"(family {entry['id']}): fix catalogue.json")
        digest = sha256(original)
        if digest != entry["original_sha256"]:
            raise UserError(f"{entry['id']}: {entry['file']} in {entry['package']} "
                            f"{entry['version']} has sha256 {digest}, catalogue.json pins "
                            f"{entry['original_sha256']}: the package changed; check it and "
                            "update the pin")
        folder = out / entry["id"]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{entry['id']}.ttf"
        subset(original, target, entry.get("renamed_to"))
        (folder / "LICENSE").write_text(licence_text(entry, root), encoding="utf-8")
        missing, optional = coverage(target)
        if missing:
            raise UserError(f"{entry['id']}: the subset lacks required characters "
                            f"{missing!r}: drop the family from catalogue.json")
        new = sha256(target)
        if new != entry.get("subset_sha256"):
            notes.append(f"{entry['id']}: subset sha256 now {new[:12]}… (was "
                         f"{(entry.get('subset_sha256') or 'unset')[:12]}…; another fontTools?)")
        entry["subset_sha256"], entry["optional"] = new, optional
    catalogue_path.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
    (out / "PROVENANCE.md").write_text(provenance(entries), encoding="utf-8")
    return notes


def main() -> None:
    out = pathlib.Path(FLAGS.out_dir).expanduser() if FLAGS.out_dir else HANDS
    if FLAGS.download_dir:
        downloads = pathlib.Path(FLAGS.download_dir).expanduser()
        downloads.mkdir(parents=True, exist_ok=True)
        notes = build(out, downloads)
    else:
        with tempfile.TemporaryDirectory(prefix="hands-") as tmp:
            notes = build(out, pathlib.Path(tmp))
    for note in notes:
        print(note)
    print(f"wrote {len(json.loads((out / 'catalogue.json').read_text()))} families to {out}")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES, cache=False)
