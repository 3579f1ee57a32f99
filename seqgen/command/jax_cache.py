"""The persistent XLA compilation cache for every command.

A command that samples or writes spends most of a cold start compiling the
same jitted scans as last time; JAX's persistent cache keeps the compiled
programs on disk, keyed by the program, the JAX version and the machine, so
the second run of `seqgen.write` loads them instead. The cache directory is
$SEQGEN_JAX_CACHE if set ('' turns the cache off), else
$XDG_CACHE_HOME/seqgen/jax, else ~/.cache/seqgen/jax (the XDG base
directory rule; training and the server default to the same directory,
`--jax_cache_dir`). JAX writes each entry to a temporary file and renames
it, so two processes sharing the directory never read half an entry
(benchmarks/wait.py runs two writers at once on an empty cache and
compares their pages).
"""

from __future__ import annotations

import os

MIN_COMPILE_SECONDS = 0.5  # cheaper programs compile faster than they load


def default_dir() -> str:
    """$XDG_CACHE_HOME/seqgen/jax, else ~/.cache/seqgen/jax (a relative
    $XDG_CACHE_HOME is ignored, as the XDG specification says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "seqgen", "jax")


def enable(path: str | None = None) -> str:
    """Turns the cache on (before the first compilation); returns the directory
    ('' when turned off by SEQGEN_JAX_CACHE='')."""
    import jax

    if path is None:
        path = os.environ.get("SEQGEN_JAX_CACHE", default_dir())
    if not path:
        return ""
    path = os.path.expanduser(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return ""  # a read-only home: run uncached rather than fail
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    return path
