"""Preparing TFDS datasets safely, shared by every data source.

TFDS 4.9 without TensorFlow writes array_record files through
`download_and_prepare`; a failed attempt can leave `incomplete.*` folders
and empty directories behind. `prepare` removes exactly what the attempt
created and nothing that was there before, so a broken input never costs a
dataset already prepared. Also the data-dir conventions and small helpers.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqgen.command.console import tfds_progress

if TYPE_CHECKING:  # TFDS takes ~0.15 s to import; seqgen.write never prepares data
    import tensorflow_datasets as tfds


def config_get(config: Any, name: str, default: Any) -> Any:
    """config.name, or default when the field is absent or None (a minimal
    ConfigDict, a dict or any object works)."""
    value = config.get(name, default) if hasattr(config, "get") else getattr(
        config, name, default)
    return default if value is None else value


def resolve_dirs(data_config: Any) -> tuple[Path, Path]:
    """(data_dir, manual_dir): data_dir '' means $SEQGEN_DATA_DIR or
    ~/tensorflow_datasets; manual_dir '' means <data_dir>/downloads/manual."""
    data_dir = (config_get(data_config, "data_dir", "") or os.environ.get("SEQGEN_DATA_DIR")
                or "~/tensorflow_datasets")
    data_dir = Path(data_dir).expanduser()
    manual_dir = config_get(data_config, "manual_dir", "")
    manual_dir = Path(manual_dir).expanduser() if manual_dir else (
        data_dir / "downloads" / "manual")
    return data_dir, manual_dir


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def prepare(builder: tfds.core.DatasetBuilder, source: Any) -> None:
    """download_and_prepare from `source` (set as builder.source while it
    runs), removing whatever a failed attempt left behind."""
    data_dir = Path(builder.data_dir_root)
    dataset_root = data_dir / builder.name
    before = _snapshot(data_dir, dataset_root)
    builder.source = source
    tfds_progress()  # TFDS's bars: on a terminal only, no escape codes in logs
    try:
        builder.download_and_prepare(file_format="array_record")
    except BaseException:
        # TFDS removes its own incomplete.* dir; remove any that leaked and the
        # empty dirs this attempt created. Anything that was there before, and
        # any complete version (e.g. one a concurrent process finished), stays.
        for path in sorted(_snapshot(data_dir, dataset_root) - before, reverse=True):
            if not path.is_dir():
                continue
            if path.name.startswith("incomplete"):
                shutil.rmtree(path, ignore_errors=True)
            elif not any(path.iterdir()):
                path.rmdir()
        raise
    finally:
        builder.source = None


def _snapshot(data_dir: Path, dataset_root: Path) -> set[Path]:
    """The paths a preparation may create: the dataset tree, downloads/, data_dir."""
    paths: set[Path] = set()
    if data_dir.exists():
        paths |= {data_dir, *data_dir.iterdir()}
    for root in (dataset_root, data_dir / "downloads"):
        if root.exists():
            paths |= set(root.rglob("*"))
    return paths
