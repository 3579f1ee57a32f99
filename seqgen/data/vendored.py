"""Where the data seqgen ships lives: seqgen/third_party/ (package data).

The embedded Shakespeare corpus and the EMS single-line fonts are vendored
with their licence and provenance files in seqgen/third_party/<name>/. They
are package data, so a clone (editable install) and an installed wheel find
them the same way, through importlib.resources. Wheels install unzipped, so
the resource is a real directory; a zipped install (zipimport) is not
supported and is named in the error rather than half-working.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from seqgen.command.errors import UserError


def vendored_dir(name: str) -> Path:
    """seqgen/third_party/<name> as a filesystem path (e.g. 'shakespeare', 'fonts')."""
    where = resources.files("seqgen").joinpath("third_party", name)
    if not isinstance(where, Path):
        raise UserError(f"seqgen's vendored data {name!r} is inside an archive ({where}); "
                        "install seqgen unzipped (pip install seqgen-*.whl or pip install -e .)")
    return where
