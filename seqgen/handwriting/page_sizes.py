"""The sizes a written page is padded to: few compiled samplers, shared.

The writer's sampler is one jitted scan whose shapes are the number of
lines (rows), the padded text length and the length cap (points a
character times the longest line); every new combination is a new XLA
program, 2-5 s to compile on a 2-core CPU. So `seqgen.write` and the web
page (seqgen/web/models.py) both pad a page to LINE_BUCKETS rows (repeating
its last line; the extra rows are dropped) and size it as if its longest
line had the next CHAR_BUCKETS length. Two texts of the same bucket then
run the same program: a second `seqgen.write` of a different text loads
it from the persistent compilation cache (seqgen/command/jax_cache.py), and a
server's warm-up fills that cache for the command line too.

The price is sampling padding: the scan runs to the cap of the bucket
(a 25-character line samples as long as a 40-character one) and a
10-line page samples 16 rows; benchmarks/wait.py measures both sides.
Beyond the largest bucket a page keeps its own size.
"""

from __future__ import annotations

from collections.abc import Callable

import jax

LINE_BUCKETS = (1, 2, 4, 8, 16)  # rows of a page
CHAR_BUCKETS = (20, 40, 80)  # characters of its longest line (--wrap is 40)


def bucket(n: int, buckets: tuple[int, ...]) -> int:
    """The smallest bucket >= n, else n itself."""
    return next((b for b in buckets if b >= n), n)


def padded(lines: list[str]) -> tuple[list[str], int]:
    """(rows, chars): the lines padded to a LINE_BUCKETS count with copies of
    the last, and the CHAR_BUCKETS length to size the sampler for (the
    `chars` of a Writer's write); rows[len(lines):] are to be dropped."""
    if not lines:
        raise ValueError("a page needs at least one line")
    rows = lines + [lines[-1]] * (bucket(len(lines), LINE_BUCKETS) - len(lines))
    return rows, bucket(max(len(t) for t in lines), CHAR_BUCKETS)


def page_writer(write: Callable[[list[str], int, jax.Array], dict], page: list[str]
                ) -> tuple[Callable[[list[str], jax.Array], dict], int]:
    """(write_rows, rows): `write_rows(lines, key)` writes at most `rows`
    lines with the page's sampler, padded to the page's row and character
    buckets, so verification's retries (seqgen/handwriting/verify.py) reuse
    it; `write(rows, chars, key)` is the writer's call, e.g. a Writer's
    `write` with its model, bias and prime bound."""
    page_rows, chars = padded(page)

    def write_rows(lines: list[str], key: jax.Array) -> dict:
        if not lines or len(lines) > len(page_rows) or max(len(t) for t in lines) > chars:
            raise ValueError(f"{len(lines)} lines do not fit {len(page_rows)} rows of "
                             f"{chars} characters")
        rows = lines + [lines[-1]] * (len(page_rows) - len(lines))
        return first_rows(write(rows, chars, key), len(lines))
    return write_rows, len(page_rows)


def first_rows(written: dict, n: int) -> dict:
    """A Writer's result (every field one entry per row) for the page's own
    `n` lines: the padding rows dropped."""
    return {k: v[:n] for k, v in written.items()}
