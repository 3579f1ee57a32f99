"""Tests of the fixed held-out number phrases (seqgen/data/number_phrases.py)."""
import re

from seqgen.data import number_phrases as held_out
from seqgen.data import phrases


def regenerate() -> list[str]:
    """What the module's docstring says the list is (how it was made)."""
    drawn = phrases.phrases(held_out.NUMBER_PHRASES_SEED, "test", 600,
                            held_out.NUMBER_PHRASES_MAX_CHARS)
    return [t for t in drawn if re.search(r"\d", t)][:200]


def test_the_list_is_200_distinct_test_phrases_with_numbers():
    got = held_out.NUMBER_PHRASES
    assert len(got) == 200 and len(set(got)) == 200
    assert all(phrases.split_of(t) == "test" for t in got)  # never a train or valid line
    assert all(re.search(r"\d", t) and 16 <= len(t) <= 40 for t in got)
    # Every kind of number is there: dates, amounts, times, percentages, sums, years.
    text = "\n".join(got)
    for pattern in (r"\d{4}-\d\d-\d\d|\d+/\d+/\d{4}|\d+ (?:January|March|May|July|August)",
                    r"[$\u00a3\u20ac]\d", r"\d:\d\d", r"%| percent", r" = \d", r"\b(?:19|20)\d\d\b",
                    r"\d(?:st|nd|rd|th)\b", r"flight|room|Street|Road|Lane"):
        assert re.search(pattern, text), pattern


def test_the_generator_still_gives_the_list():
    # While phrases.py is at the version the list came from, it regenerates it;
    # after a change to the generator the list stays as it is (bump the version).
    if phrases.PHRASES_VERSION == held_out.NUMBER_PHRASES_VERSION:
        assert regenerate() == list(held_out.NUMBER_PHRASES)
