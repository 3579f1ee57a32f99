"""What the terminal shows: progress bars on a terminal, clean logs elsewhere.

- `progress(...)`: a tqdm bar for long work (evaluation passes, dynamic
  evaluation, pages of handwriting, sweeps, the 1997 report). It draws only
  when stderr is a terminal (tqdm's disable=None) and only on process 0, so
  logs redirected to a file or collected by SLURM hold no carriage returns
  or escape codes; absl logging stays the run's record.
- `quiet_console()`: every command-line entry point calls it first. It drops
  from the console what a new user cannot act on: orbax's INFO narration
  and its "read only" warnings (a CLI that restores opens the checkpoints
  read-only on purpose), JAX's probe for a TPU library that is not
  installed, and TFDS's chatter on reading a prepared dataset. Warnings and
  errors otherwise pass, and nothing is hidden from a file handler.
- `tfds_progress()`: TFDS draws its own tqdm bars while preparing data;
  off when stderr is not a terminal.
"""
from __future__ import annotations

import contextlib
import logging as std_logging
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

from absl import logging

T = TypeVar("T")

# (logger path fragment, message pattern) of records that never reach the console.
DROPPED = (
    ("/orbax/", r"Given directory is read only|read_only=True, setting "),
    ("xla_bridge", r"Unable to initialize backend 'tpu'.*(libtpu\.so: cannot open|No such file)"),
    ("dataset_info", r"^Load dataset info from |differ on disk and in the code"),
    ("tensorflow_datasets", r"^Done writing "),
)


def is_terminal() -> bool:
    """stderr is a terminal (where bars are drawn)."""
    return sys.stderr.isatty()


class _ConsoleFilter(std_logging.Filter):
    def filter(self, record: std_logging.LogRecord) -> bool:
        path = record.pathname.replace("\\", "/")
        if "/orbax/" in path and record.levelno < std_logging.WARNING:
            return False  # orbax narrates every save and restore at INFO
        message = record.getMessage()
        return not any(where in path and re.search(pattern, message)
                       for where, pattern in DROPPED)


def quiet_console() -> None:
    """Install the console filter on absl's handler (idempotent)."""
    handler = logging.get_absl_handler()
    if not any(isinstance(f, _ConsoleFilter) for f in handler.filters):
        handler.addFilter(_ConsoleFilter())


def tfds_progress() -> None:
    """TFDS's own preparation bars: shown on a terminal, off otherwise."""
    if not is_terminal():
        import tensorflow_datasets as tfds  # heavy; only when preparing
        tfds.disable_progress_bar()


def progress(iterable: Iterable[T], desc: str, total: int | None = None,
             unit: str = "it", enabled: bool = True) -> Iterator[T]:
    """`iterable`, with a bar on stderr when it is a terminal (and `enabled`,
    e.g. process 0 only); the bar disappears when done."""
    from tqdm.auto import tqdm

    yield from tqdm(iterable, desc=desc, total=total, unit=unit, leave=False,
                    dynamic_ncols=True, disable=None if enabled else True)


def bar(total: int, desc: str, unit: str = "it"):
    """A tqdm bar to `update()` by hand (e.g. as jobs finish in any order);
    drawn only when stderr is a terminal. Use as a context manager."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True,
                disable=None)


def say(message: str) -> None:
    """print() to stdout that does not tear a bar drawn on stderr."""
    from tqdm.auto import tqdm

    tqdm.write(message, file=sys.stdout)
    sys.stdout.flush()


@contextlib.contextmanager
def busy(desc: str) -> Iterator[None]:
    """Elapsed seconds on a terminal while one long call runs (a jitted
    generation scan has no steps the host could count); nothing otherwise."""
    if not is_terminal():
        yield
        return
    from tqdm.auto import tqdm

    stop = threading.Event()
    with tqdm(desc=desc, total=None, bar_format="{desc}: {elapsed}", leave=False) as shown:
        ticker = threading.Thread(target=lambda: [shown.refresh() for _ in iter(
            lambda: stop.wait(0.5), True)], daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
