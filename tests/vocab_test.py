"""Vocab: encoding against Python's own bytes/str handling, errors, serialisation."""
import json

import numpy as np
import pytest

from seqgen.data.vocab import Vocab

TEXT = "Zwölf Boxkämpfer jagen Viktor — quer über den Sylter Deich.\n€ ok\n"


def test_char_round_trip_matches_sorted_characters():
    vocab = Vocab.from_text(TEXT, "char")
    alphabet = sorted(set(TEXT))
    assert vocab.tokens == tuple(alphabet)
    ids = vocab.encode(TEXT)
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [alphabet.index(c) for c in TEXT])
    assert vocab.decode(ids) == TEXT
    assert vocab.size == len(alphabet)


def test_byte_round_trip_matches_utf8_bytes():
    vocab = Vocab.from_text(TEXT, "byte")
    raw = TEXT.encode("utf-8")
    values = sorted(set(raw))
    assert vocab.tokens == tuple(values)
    assert all(isinstance(t, int) for t in vocab.tokens)
    ids = vocab.encode(TEXT)
    np.testing.assert_array_equal(ids, [values.index(b) for b in raw])
    assert vocab.decode(ids) == TEXT


def test_byte_decode_replaces_invalid_utf8():
    vocab = Vocab("byte", range(256))
    # Half of the two-byte encoding of 'ö' followed by 'a'.
    assert vocab.decode([0xC3, ord("a")]) == "\ufffda"


def test_char_vocab_in_any_order_encodes_by_token_position():
    vocab = Vocab("char", ["z", "a", "\n", "é"])
    np.testing.assert_array_equal(vocab.encode("aéz\n"), [1, 3, 0, 2])


def test_unknown_chars_raise_one_line_listing_them():
    vocab = Vocab.from_text("abc", "char")
    with pytest.raises(ValueError) as err:
        vocab.encode("abxcyx")
    message = str(err.value)
    assert "\n" not in message
    assert "'x'" in message and "'y'" in message and "2 symbol" in message


def test_unknown_bytes_raise():
    vocab = Vocab.from_text("abc", "byte")
    with pytest.raises(ValueError, match="195"):  # first byte of 'é'
        vocab.encode("é")


def test_word_level_eos_and_unk():
    text = " the cat sat \n the dog \n"
    words = [w for line in text.splitlines() for w in line.split() + ["<eos>"]]
    vocab = Vocab.from_words(words + ["<unk>"])
    ids = vocab.encode(text)
    assert [vocab.tokens[i] for i in ids] == words
    assert vocab.decode(ids) == "the cat sat\nthe dog\n"
    # Frequency order: 'the' and '<eos>' occur twice.
    assert set(vocab.tokens[:2]) == {"the", "<eos>"}
    unk = vocab.tokens.index("<unk>")
    np.testing.assert_array_equal(vocab.encode("the bird\n"),
                                  [vocab.tokens.index("the"), unk,
                                   vocab.tokens.index("<eos>")])


def test_word_level_without_unk_lists_unknown_words():
    vocab = Vocab("word", ["a", "b", "<eos>"])
    with pytest.raises(ValueError, match="'c'.*'d'"):
        vocab.encode("a c\nd b\n")


def test_to_dict_from_dict_is_json_safe():
    for vocab in (Vocab.from_text(TEXT, "byte"), Vocab.from_text(TEXT, "char"),
                  Vocab("word", ["<eos>", "<unk>", "x"])):
        restored = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
        assert restored == vocab
        assert restored.tokens == vocab.tokens and restored.level == vocab.level


def test_invalid_vocabularies_are_rejected():
    with pytest.raises(ValueError, match="duplicates"):
        Vocab("char", ["a", "a"])
    with pytest.raises(ValueError, match="level"):
        Vocab("subword", ["a"])
    with pytest.raises(ValueError, match="byte"):
        Vocab("byte", [300])
    with pytest.raises(ValueError, match="ids must be in"):
        Vocab("char", ["a"]).decode([1])
