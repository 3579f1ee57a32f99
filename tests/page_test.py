"""Balanced wrapping (seqgen/handwriting/page.py) against brute force."""

import itertools
import textwrap

import numpy as np
import pytest

from seqgen.handwriting import page


def _brute_force(words: list[str], width: int, k: int) -> list[list[str]]:
    """Every way to cut `words` into k lines that fit, least sum of squared lengths first."""
    ways = []
    for cuts in itertools.combinations(range(1, len(words)), k - 1):
        lines = [" ".join(words[i:j]) for i, j in zip((0, *cuts), (*cuts, len(words)), strict=True)]
        if all(len(line) <= width or " " not in line for line in lines):
            ways.append((sum(len(line) ** 2 for line in lines), lines))
    best = min(c for c, _ in ways)
    return [lines for c, lines in ways if c == best]


def test_the_orphan_of_the_bug_report_is_gone():
    # Greedy leaves "nine." alone; balanced wrapping makes two lines of 22 and 18.
    text = "Meet me at the station at half past nine."
    assert textwrap.wrap(text, 40)[-1] == "nine."
    assert page.wrap_balanced(text, 40) == ["Meet me at the station", "at half past nine."]


@pytest.mark.parametrize("seed", range(40))
def test_balanced_wrap_is_the_most_even_of_the_fewest_lines(seed):
    rng = np.random.default_rng(seed)
    words = ["x" * int(n) for n in rng.integers(1, 9, rng.integers(1, 12))]
    width = int(rng.integers(6, 25))
    text = " ".join(words)
    got = page.wrap_balanced(text, width)
    greedy = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    assert len(got) == len(greedy)  # as few lines as greedy wrapping
    assert " ".join(got) == text  # every word, in order
    if len(got) > 1:
        assert got in _brute_force(words, width, len(got))


def test_long_words_are_cut_only_when_asked():
    text = "a supercalifragilistic word"
    assert "supercalifragilistic" in page.wrap_balanced(text, 10)
    cut = page.wrap_balanced(text, 10, break_long_words=True)
    assert all(len(line) <= 10 for line in cut)
    assert "".join(cut).replace(" ", "") == text.replace(" ", "")


def test_split_lines_wraps_each_paragraph():
    assert page.split_lines("a b c d\\nsecond", 3) == ["a b", "c d", "second"]
