"""The cold start of a command: where the compilation cache lives, that two
processes can share it, how phases are timed, and the page sizes that keep
compiled samplers few (benchmarks/wait.py measures the seconds)."""

import os
import subprocess
import sys
import textwrap

import pytest

from seqgen.command import jax_cache, phases
from seqgen.handwriting import page_sizes


@pytest.mark.parametrize("xdg, expected", [
    ("/xdg/cache", "/xdg/cache/seqgen/jax"),
    ("", "{home}/.cache/seqgen/jax"),
    ("relative/dir", "{home}/.cache/seqgen/jax"),  # the XDG spec ignores relative paths
])
def test_the_default_cache_follows_xdg(monkeypatch, tmp_path, xdg, expected):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert jax_cache.default_dir() == expected.format(home=tmp_path)


def test_an_empty_seqgen_jax_cache_turns_the_cache_off(monkeypatch):
    monkeypatch.setenv("SEQGEN_JAX_CACHE", "")
    assert jax_cache.enable() == ""


SHARED = textwrap.dedent("""
    import sys
    import jax, jax.numpy as jnp
    from seqgen.command import jax_cache
    jax_cache.enable(sys.argv[1])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # cache all
    f = jax.jit(lambda x: jnp.cumsum(jnp.sin(x) @ x.T, axis=0))
    print(float(f(jnp.arange(64.0).reshape(8, 8) / 64).sum()))
""")


def test_two_processes_share_an_empty_cache(tmp_path):
    cache = tmp_path / "cache"
    env = dict(os.environ, XLA_FLAGS="")
    procs = [subprocess.Popen([sys.executable, "-c", SHARED, str(cache)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e[-2000:] for _, e in outs]
    assert outs[0][0] == outs[1][0]
    assert any(cache.iterdir())  # the program was written, by one or both
    again = subprocess.run([sys.executable, "-c", SHARED, str(cache)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == outs[0][0]  # and reads back


def test_compilation_spans_count_once_inside_a_phase():
    spans = [(1.0, 3.0), (2.0, 4.0), (2.5, 2.6), (10.0, 11.0)]  # nested and overlapping
    assert phases._covered(spans, 0.0, 20.0) == pytest.approx(4.0)  # [1, 4] and [10, 11]
    assert phases._covered(spans, 3.5, 10.5) == pytest.approx(1.0)  # [3.5, 4], [10, 10.5]
    assert phases._covered([], 0.0, 1.0) == 0.0


def test_phases_are_inert_unless_asked(monkeypatch, capsys):
    monkeypatch.delenv(phases.ENV, raising=False)
    timer = phases.Phases()
    with timer.phase("restore"):
        pass
    assert timer.report() == {} and capsys.readouterr().err == ""


def test_a_page_is_padded_to_the_bucket_sizes():
    rows, chars = page_sizes.padded(["a" * 25] * 10)
    assert len(rows) == 16 and chars == 40
    rows, chars = page_sizes.padded(["short", "a line of thirty characters..."])
    assert rows == ["short", "a line of thirty characters..."] and chars == 40
    rows, chars = page_sizes.padded(["x" * 90] * 17)  # beyond the buckets: its own size
    assert len(rows) == 17 and chars == 90
    written = {"lines": list("abcd"), "length": [1, 2, 3, 4]}
    assert page_sizes.first_rows(written, 3) == {"lines": list("abc"), "length": [1, 2, 3]}
