"""Transcription alphabets against hand-written tables: ids, Graves' reduced
alphabet, fallbacks for unseen characters, errors for unwritable ones."""

import json
import logging
import string

import numpy as np
import pytest

from seqgen.command.errors import UserError
from seqgen.data.transcripts import Alphabet, TranscriptError

TEXTS = ["the quick brown fox", "Jumps over 12 lazy dogs!", "A stitch, in time."]


def reverse_map(chars):
    """id -> character as the module docstring defines it: 1.. in code-point order."""
    return {i: c for i, c in enumerate(sorted(chars), start=1)}


def test_full_alphabet_ids_round_trip():
    a = Alphabet.from_texts(TEXTS)
    chars = set("".join(TEXTS))
    assert a.size == len(chars) + 1 and not a.reduced
    inverse = {c: i for i, c in reverse_map(chars).items()}
    for text in TEXTS:
        ids = a.encode(text)
        assert ids.dtype == np.int32 and ids.min() >= 1
        np.testing.assert_array_equal(ids, [inverse[c] for c in text])
        assert "".join(reverse_map(chars)[i] for i in ids) == text
        assert a.decode(ids) == text


# Graves §5 reduced alphabet, written out by hand: letters, space and . , ' stay.
REDUCED = {"a": "a", "z": "z", "A": "A", "Q": "Q", " ": " ", ".": ".", ",": ",", "'": "'",
           "0": "#", "7": "#", "!": "#", "?": "#", ";": "#", ":": "#", "-": "#", '"': "#",
           "(": "#", ")": "#", "&": "#", "/": "#", "$": "#", "+": "#", "^": "#", "#": "#",
           "\u00bd": "#", "\u2019": "#"}


def test_reduced_alphabet_maps_digits_and_punctuation_to_one_class():
    a = Alphabet.from_texts(["".join(REDUCED), "Itsok"], reduced=True)
    symbols = set(REDUCED.values()) | set("Itsok")
    assert a.reduced and a.size == len(symbols) + 1
    forward = reverse_map(symbols)
    inverse = {c: i for i, c in forward.items()}
    for char, symbol in REDUCED.items():
        np.testing.assert_array_equal(a.encode("a" + char), [inverse["a"], inverse[symbol]])
    ids = a.encode("It's 10:30, ok.")
    assert "".join(forward[i] for i in ids) == "It's #####, ok."


def test_reduced_alphabet_of_printable_ascii_has_graves_57_symbols():
    a = Alphabet.from_texts([string.printable[:95]], reduced=True)
    assert a.size - 1 == 57  # 52 letters, space, . , ' and the non-letter class


def test_unseen_letter_falls_back_to_its_other_case_with_one_warning(caplog):
    a = Alphabet.from_texts(["the quick brown fox"])
    with caplog.at_level(logging.WARNING):
        ids = a.encode("Quiz")
    inverse = {c: i for i, c in reverse_map(set("the quick brown fox")).items()}
    np.testing.assert_array_equal(ids, [inverse[c] for c in "qui "])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert "'Q'->'q'" in warnings[0] and "'z'->' '" in warnings[0]
    assert a.unseen("Quiz") == ["Q", "z"]


def test_fallback_chain_accents_non_letter_and_typography():
    a = Alphabet.from_texts(["abc e, 'x' 1"], reduced=True)
    inverse = {c: i for i, c in reverse_map(set("abc e,'x#")).items()}
    expect = {"\u00e9": "e",  # accent-free base
              "E": "e",  # other case
              "Z": "#",  # no case seen: the non-letter class of a reduced alphabet
              "\t": " ", "\u00a0": " "}  # other whitespace
    for char, symbol in expect.items():
        np.testing.assert_array_equal(a.encode("a" + char), [inverse["a"], inverse[symbol]])
    full = Alphabet.from_texts(["abc e, 'x' 1"])
    inverse = {c: i for i, c in reverse_map(set("abc e,'x1")).items()}
    expect = {"Z": " ",  # a full alphabet has no non-letter class: a space
              "\u2019": "'", "\uff11": "1", "?": " "}
    for char, symbol in expect.items():
        np.testing.assert_array_equal(full.encode("a" + char),
                                      [inverse["a"], inverse[symbol]])


def test_a_writers_text_refuses_what_only_a_gap_could_stand_for():
    # One rule for an emoji and a Cyrillic letter: refused, named, no silent gap.
    full = Alphabet.from_texts(["the quick brown fox's 1"])
    _, subs = full.encode_with_fallbacks("Quiz", blank_ok=True)
    assert subs == {"Q": "q", "z": " "}  # training data: the gap as before
    with pytest.raises(TranscriptError, match=r"'z'.*gap on the page") as err:
        full.encode_with_fallbacks("Quiz", blank_ok=False)
    assert "'Q'" not in str(err.value)  # 'q' is a visible substitute
    with pytest.raises(TranscriptError, match=r"'П', 'р'"):
        full.encode_with_fallbacks("Привет fox", blank_ok=False)
    ids, subs = full.encode_with_fallbacks("fox\t1\u2019", blank_ok=False)
    assert subs == {"\t": " ", "\u2019": "'"} and len(ids) == 6  # a tab may be a space


def test_on_unseen_error_lists_the_characters():
    a = Alphabet.from_texts(["the quick brown fox"])
    with pytest.raises(TranscriptError, match=r"'Q'.*'Z'") as err:
        a.encode("Quiz Zoo", on_unseen="error")
    assert "\n" not in str(err.value)


def test_unwritable_characters_are_one_line_error_listing_them():
    a = Alphabet.from_texts(TEXTS, reduced=True)
    with pytest.raises(TranscriptError) as err:
        a.encode("fox \U0001f600 dog\x07 e\u0301")
    message = str(err.value)
    assert "\n" not in message and isinstance(err.value, UserError)
    for c in ("\U0001f600", "\x07", "\u0301"):
        assert repr(c) in message
    assert "'f'" not in message
    with pytest.raises(TranscriptError, match="empty"):
        a.encode("")
    with pytest.raises(TranscriptError, match="empty"):
        a.encode("   ")
    no_space = Alphabet.from_texts(["abc"])
    with pytest.raises(TranscriptError, match="' '"):
        no_space.encode("a b")


def test_min_count_leaves_rare_characters_to_the_fallbacks():
    a = Alphabet.from_texts(["aaab", "aB"], min_count=2)
    assert a.chars[1:] == ("a",)
    assert a.unseen("abB") == ["b", "B"]


def test_dict_round_trip_through_json():
    for reduced in (False, True):
        a = Alphabet.from_texts(TEXTS, reduced=reduced)
        b = Alphabet.from_dict(json.loads(json.dumps(a.to_dict())))
        assert b == a and b.reduced == reduced and b.chars == a.chars
        np.testing.assert_array_equal(b.encode(TEXTS[1]), a.encode(TEXTS[1]))
    assert Alphabet.from_texts(TEXTS).chars[0] == ""
    with pytest.raises(TranscriptError, match="reduced"):
        Alphabet.from_dict({"chars": ["a", "1"], "reduced": True})
    with pytest.raises(TranscriptError, match="single characters"):
        Alphabet.from_dict({"chars": ["ab"], "reduced": False})
