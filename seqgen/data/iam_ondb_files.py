"""Reading the IAM-OnDB distribution: its archives or folders, line XML and transcriptions.

`locate(manual_dir, max_jump)` finds the inputs (the files iam_ondb.py's
docstring lists) or raises one error naming every missing one;
`read_examples(source)` reads them into examples (line, text, id, writer)
per split file and the facts for the dataset metadata. Archives are read in
order and never extracted to disk; links inside them are ignored.

What preparation does to each line file of a listed form: its transcription is
looked up; the XML is parsed with defusedxml (no DTDs, entities or external
references); y is negated; readings whose x or y is missing or not a number are
NaN and strokes.clean(max_jump, method=cleaning) interpolates or drops them,
and splits (split) or removes (graves) long jumps; graves also fills in the
readings missing from gaps in the time stamps. A line is skipped, and
counted in the info under the reason, when:
  skipped_no_transcription  its form has no ascii file or fewer text lines;
  skipped_bad_xml           the XML does not parse or is not a capture session;
  skipped_unsafe_xml        the XML has a DTD, entities or external references;
  skipped_too_large         the file exceeds MAX_FILE_BYTES (16 MiB; a line's
                            file holds a few thousand points, tens of KB);
  skipped_no_strokes        it holds no Point;
  skipped_bad_points        no valid reading is left after clean().
Also counted: missing_forms (listed forms with no line file, per split file),
transcriptions_without_strokes, unlisted_line_files, forms_in_several_split_files
(kept in each), forms_with_writer_id (the writer of the others is their form id:
lineStrokes files carry no writer id), num_lines per split file, and clean()'s
repairs; all of it is in HandwritingSplits.info. Lines keep the order of the
split files (forms in listed order, lines by number).
"""
from __future__ import annotations

import collections
import dataclasses
import io
import math
import os
import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as safe_xml
import numpy as np

from seqgen.data import strokes
from seqgen.data.prepare import sha256_file
from seqgen.data.strokes import StrokeDataError

URL = "https://fki.tic.heia-fr.ch/databases/iam-on-line-handwriting-database"
SPLIT_FILES = ("trainset", "testset_v", "testset_t", "testset_f")
MAX_FILE_BYTES = 16 << 20
SKIP_REASONS = ("no_transcription", "bad_xml", "unsafe_xml", "too_large", "no_strokes",
                "bad_points")

_LINE_FILE = re.compile(r"^(?P<form>[A-Za-z0-9]+-[A-Za-z0-9]+)-(?P<line>\d+)\.xml$")
_ASCII_FILE = re.compile(r"^(?P<form>[A-Za-z0-9]+-[A-Za-z0-9]+)\.txt$")
_ORIGINAL_FILE = re.compile(r"^strokes(?P<letter>[A-Za-z]?)\.xml$")


# ----------------------------------------------------------------------------
# Locating the inputs.
# ----------------------------------------------------------------------------

@dataclasses.dataclass
class Source:
    manual_dir: Path
    line_strokes: Path  # folder or .tar.gz
    ascii: Path
    original: Path | None
    split_files: dict[str, Path]
    max_jump: float
    cleaning: str = "split"  # strokes.clean's method


def locate(manual_dir: Path, max_jump: float, cleaning: str = "split") -> Source:
    """The input files, or one error listing every missing one and where it goes."""
    found: dict[str, Path] = {}
    missing = []
    for folder, archive in (("lineStrokes", "lineStrokes-all.tar.gz"),
                            ("ascii", "ascii-all.tar.gz")):
        if (manual_dir / folder).is_dir():
            found[folder] = manual_dir / folder
        elif (manual_dir / archive).is_file():
            found[folder] = manual_dir / archive
        else:
            missing.append(f"{archive} (or its unpacked {folder}/)")
    for name in SPLIT_FILES:
        if (manual_dir / f"{name}.txt").is_file():
            found[name] = manual_dir / f"{name}.txt"
        else:
            missing.append(f"{name}.txt")
    if missing:
        raise StrokeDataError(
            f"iam_ondb: missing {', '.join(missing)} in {manual_dir}: IAM-OnDB needs "
            f"registration, so seqgen never downloads it; register at {URL}, download "
            f"those files and put them in {manual_dir} (or set data_config.manual_dir).")
    original = next((p for p in (manual_dir / "original",
                                 manual_dir / "original-xml-all.tar.gz",
                                 manual_dir / "original-xml-part.tar.gz") if p.exists()), None)
    return Source(manual_dir, found["lineStrokes"], found["ascii"], original,
                   {name: found[name] for name in SPLIT_FILES}, max_jump, cleaning)


def _walk(root: Path) -> Iterator[tuple[tuple[str, ...], int, Callable[[], bytes]]]:
    """(path parts, size, read) of the regular files in a folder or a .tar.gz.

    Archives are read in order and never extracted to disk; links are ignored.
    `read` is valid only until the next item.
    """
    if root.is_dir():
        for dirpath, dirnames, names in os.walk(root):
            dirnames.sort()
            for name in sorted(names):
                path = Path(dirpath) / name
                if not path.is_symlink() and path.is_file():
                    yield path.relative_to(root).parts, path.stat().st_size, path.read_bytes
        return
    try:
        with tarfile.open(root, "r:gz") as tar:
            for member in tar:
                if member.isfile():
                    parts = tuple(p for p in member.name.split("/") if p)
                    yield parts, member.size, lambda m=member: _read_member(tar, m, root)
    except _ARCHIVE_ERRORS as err:
        raise _corrupt(root, err) from None


_ARCHIVE_ERRORS = (tarfile.TarError, zlib.error, EOFError, OSError)


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path) -> bytes:
    try:
        return tar.extractfile(member).read()
    except _ARCHIVE_ERRORS as err:
        raise _corrupt(root, err) from None


def _corrupt(root: Path, err: BaseException) -> StrokeDataError:
    message = " ".join(str(err).split()) or type(err).__name__
    return StrokeDataError(f"iam_ondb: {root} is truncated or corrupt ({message}): download "
                           f"it again from {URL} (or put the unpacked folder beside it).")


# ----------------------------------------------------------------------------
# Parsing one file.
# ----------------------------------------------------------------------------

class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _decode_text(data: bytes) -> str:
    # IAM-OnDB is ISO-8859-1; a file re-saved as UTF-8 is read as such (valid
    # UTF-8 with non-ASCII bytes is practically never Latin-1 text).
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _transcriptions(data: bytes) -> list[str] | None:
    """The non-empty lines after the 'CSR:' line, or None if there is none."""
    # Some files run a '%%%%%%%%%%%' separator into a line; other readers of
    # IAM-OnDB treat it as a line break, and so do we.
    lines = [s.strip() for s in _decode_text(data).replace("%" * 11, "\n").splitlines()]
    if "CSR:" not in lines:
        return None
    return [s for s in lines[lines.index("CSR:") + 1:] if s]


def _xml_root(data: bytes) -> Any:
    try:
        # The encoding comes from the XML prolog (ISO-8859-1 in IAM-OnDB).
        return safe_xml.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise _Skip("unsafe_xml") from None
    except (ParseError, ValueError, LookupError):
        raise _Skip("bad_xml") from None


def _number(value: str | None) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan  # a missing reading: clean() interpolates or drops it


def _parse_line(data: bytes) -> tuple[list[np.ndarray], str | None]:
    """Strokes (absolute points, y up, and each reading's time stamp: N x 3)
    and the writer id if the file names one."""
    root = _xml_root(data)
    if root.tag != "WhiteboardCaptureSession":
        raise _Skip("bad_xml")
    out = []
    for stroke in root.iterfind("StrokeSet/Stroke"):
        points = [(_number(p.get("x")), -_number(p.get("y")), _number(p.get("time")))
                  for p in stroke.iterfind("Point")]
        if points:
            out.append(np.array(points, np.float64))
    if not out:
        raise _Skip("no_strokes")
    form = root.find("General/Form")
    return out, (form.get("writerID") if form is not None else None)


def _original_writer(data: bytes) -> str | None:
    """General/Form@writerID of an original form file, reading only up to it."""
    try:
        for _, elem in safe_xml.iterparse(io.BytesIO(data), forbid_dtd=True):
            if elem.tag == "Form" and elem.get("writerID"):
                return elem.get("writerID")
            if elem.tag in ("General", "StrokeSet"):
                return None
    except (defusedxml.DefusedXmlException, ParseError, ValueError, LookupError):
        return None
    return None


# ----------------------------------------------------------------------------
# Reading everything.
# ----------------------------------------------------------------------------

def _split_lists(source: Source, counts: collections.Counter) -> dict[str, list[str]]:
    lists, seen = {}, collections.Counter()
    for name, path in source.split_files.items():
        forms = [s.strip() for s in _decode_text(path.read_bytes()).splitlines()]
        lists[name] = list(dict.fromkeys(f for f in forms if f))  # order kept, duplicates out
        seen.update(lists[name])
    counts["forms_in_several_split_files"] = sum(n > 1 for n in seen.values())
    return lists


def _read_texts(root: Path, wanted: set[str]) -> dict[str, list[str] | None]:
    texts = {}
    for parts, size, read in _walk(root):
        match = _ASCII_FILE.match(parts[-1])
        if match and match["form"] in wanted:
            # An oversized file counts as none: its lines are skipped as untranscribed.
            texts[match["form"]] = _transcriptions(read()) if size <= MAX_FILE_BYTES else None
    return texts


def _read_writers(root: Path | None, wanted: set[str]) -> dict[str, str]:
    """Writer ids from original/<a01>/<a01-000>/strokes<letter>.xml, if present."""
    writers: dict[str, str] = {}
    for parts, size, read in _walk(root) if root is not None else ():
        match = _ORIGINAL_FILE.match(parts[-1])
        form = f"{parts[-2]}{match['letter']}" if match and len(parts) > 1 else ""
        if form in wanted and size <= MAX_FILE_BYTES and (writer := _original_writer(read())):
            writers[form] = writer
    return writers


def read_examples(source: Source) -> tuple[dict[str, list[dict]], dict[str, Any]]:
    """Examples per split file, and the facts for the dataset metadata."""
    counts: collections.Counter = collections.Counter()
    repairs: collections.Counter = collections.Counter()
    lists = _split_lists(source, counts)
    wanted = {form for forms in lists.values() for form in forms}
    texts = _read_texts(source.ascii, wanted)
    writers = _read_writers(source.original, wanted)

    lines: dict[str, dict[int, dict]] = collections.defaultdict(dict)
    seen_lines: dict[str, set[int]] = {}  # line numbers of every file found, per form
    for parts, size, read in _walk(source.line_strokes):
        match = _LINE_FILE.match(parts[-1])
        if not match:
            continue
        form, number = match["form"], int(match["line"])
        if form not in wanted:
            counts["unlisted_line_files"] += 1
            continue
        seen_lines.setdefault(form, set()).add(number)
        try:
            text = texts.get(form)
            if text is None or not 1 <= number <= len(text):
                raise _Skip("no_transcription")
            if size > MAX_FILE_BYTES:
                raise _Skip("too_large")
            raw, writer = _parse_line(read())
            cleaned = strokes.clean(raw, max_jump=source.max_jump, counts=repairs,
                                    method=source.cleaning)
            if not cleaned:
                raise _Skip("bad_points")
        except _Skip as skip:
            counts[f"skipped_{skip.reason}"] += 1
            continue
        origin = cleaned[0][0]
        lines[form][number] = {
            "line": strokes.strokes_to_line([s - origin for s in cleaned]),
            "text": text[number - 1], "id": f"{form}-{number:02d}",
            "writer": writer or writers.get(form) or form}

    for form, text in texts.items():
        counts["transcriptions_without_strokes"] += sum(
            i not in seen_lines.get(form, ()) for i in range(1, len(text or ()) + 1))
    examples = {name: [lines[f][i] for f in forms for i in sorted(lines.get(f, ()))]
                for name, forms in lists.items()}
    inputs = {"manual_dir": os.fspath(source.manual_dir)}
    for path in (source.line_strokes, source.ascii, source.original,
                 *source.split_files.values()):
        if path is not None:
            inputs[path.name] = sha256_file(path) if path.is_file() else "folder"
    info = {
        **{f"skipped_{r}": counts[f"skipped_{r}"] for r in SKIP_REASONS},
        **{k: counts[k] for k in ("transcriptions_without_strokes", "unlisted_line_files",
                                  "forms_in_several_split_files")},
        "missing_forms": {n: sum(f not in seen_lines for f in forms)
                          for n, forms in lists.items()},
        "repairs": {k: int(repairs[k]) for k in (
            "interpolated_points", "dropped_points", "dropped_strokes",
            *(("split_jumps",) if source.cleaning == "split" else
              ("gap_points", "removed_steps")))},
        "num_lines": {n: len(ex) for n, ex in examples.items()},
        "forms_with_writer_id": len(writers),  # the others' writer is their form id
        "max_jump": source.max_jump, "cleaning": source.cleaning, "inputs": inputs, "source": URL,
    }
    return examples, info
