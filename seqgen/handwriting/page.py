"""A page of handwriting as lines of text: the given text split at its
newlines and wrapped at a width in characters, like the training lines.

Wrapping balances a paragraph's lines (`wrap`): it takes as few lines as
greedy wrapping would, and among the ways to break into that many lines
the one whose lengths are most even (least sum of squared lengths). So
"Meet me at the station at half past nine." at 40 characters is two lines
of 22 and 18 characters, not 35 and a lone "nine.": the writer writes a
lone short word larger and worse than words in a line.

Dimension letters: none (strings).
"""

from __future__ import annotations

import textwrap

from seqgen.command.errors import UserError

MAX_CHARS = 2000  # a page, not a book: the sampler's memory grows with the text


def split_lines(text: str, wrap: int) -> list[str]:
    """Paragraphs (newline-separated) wrapped at `wrap` characters."""
    text = text.replace("\\n", "\n")
    if not text.strip():
        raise UserError("--text is empty; give the text to write")
    if len(text) > MAX_CHARS:
        raise UserError(f"--text has {len(text)} characters; write at most {MAX_CHARS} "
                        "at a time")
    lines = []
    for paragraph in text.split("\n"):
        # A word longer than `wrap` stays whole: the model writes any length.
        lines += wrap_balanced(paragraph, wrap, break_long_words=False)
    return lines


def wrap_balanced(paragraph: str, width: int, *, break_long_words: bool = False) -> list[str]:
    """`paragraph` in lines of at most `width` characters (a longer word is
    cut if break_long_words, else alone on its line), as few as greedy
    wrapping takes and as even as they can be (module docstring)."""
    # No breaks at hyphens: the words are the space-separated ones.
    greedy = textwrap.wrap(paragraph, width, break_long_words=break_long_words,
                           break_on_hyphens=False)
    if len(greedy) < 2:
        return greedy
    words = [w for line in greedy for w in line.split(" ")] if break_long_words \
        else paragraph.split()
    n, k = len(words), len(greedy)
    # length[i][j]: words i..j-1 on one line.
    starts = [0]
    for w in words:
        starts.append(starts[-1] + len(w) + 1)

    def length(i: int, j: int) -> int:
        return starts[j] - starts[i] - 1

    def fits(i: int, j: int) -> bool:
        return j == i + 1 or length(i, j) <= width  # a long word alone always fits

    inf = float("inf")
    # cost[m][j]: the least sum of squared lengths of words[:j] in m lines.
    cost = [[inf] * (n + 1) for _ in range(k + 1)]
    back = [[0] * (n + 1) for _ in range(k + 1)]
    cost[0][0] = 0.0
    for m in range(1, k + 1):
        for j in range(1, n + 1):
            for i in range(j - 1, -1, -1):
                if not fits(i, j):
                    break
                c = cost[m - 1][i] + length(i, j) ** 2
                if c < cost[m][j]:
                    cost[m][j], back[m][j] = c, i
    if cost[k][n] == inf:  # cannot happen: greedy's own breaks are k lines that fit
        return greedy
    lines, j = [], n
    for m in range(k, 0, -1):
        i = back[m][j]
        lines.append(" ".join(words[i:j]))
        j = i
    return lines[::-1]
