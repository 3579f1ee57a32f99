"""Tests of drawn handwriting's mixed texts (seqgen/data/drawn_mix.py) and their sources."""
import gzip
import hashlib
import pathlib
import re

import numpy as np
import pytest

from seqgen.command.errors import ConfigError
from seqgen.config import checks
from seqgen.config import handwriting as handwriting_config
from seqgen.data import drawing, drawn, drawn_mix, fonts, phrases
from seqgen.data.drawn_texts import wrap_corpus
from seqgen.data.strokes import StrokeDataError
from seqgen.data.text import jargon, shakespeare
from seqgen.data.transcripts import Alphabet

ROOT = pathlib.Path(__file__).resolve().parents[1]
MIXED = {"texts": "mixed", "num_train": 48, "num_valid": 12, "num_test": 12}
# Distinctive sentences of the reserved corpora (kept for an independent
# check): Moby-Dick's and typical State of the Union phrases.
RESERVED = ("Call me Ishmael", "Moby Dick", "Moby-Dick", "Ishmael", "Captain Ahab",
            "the Pequod", "white whale", "Some years ago--never mind how long precisely",
            "state of our union", "state of the union", "Mr. Speaker, Mr. Vice President",
            "members of Congress", "my fellow Americans", "God bless America")


# ----------------------------------------------------------------------------
# The vendored sources.
# ----------------------------------------------------------------------------

def _provenance_table(name: str) -> dict[str, str]:
    text = (ROOT / "seqgen" / "third_party" / name / "PROVENANCE.md").read_text()
    return dict(re.findall(r"^\| (\S[^|]*?) \| [\d,]+ \| ([0-9a-f]{64}) \|$", text, re.M))


@pytest.mark.parametrize("name", ["shakespeare", "jargon"])
def test_vendored_files_match_their_provenance(name):
    table = _provenance_table(name)
    folder = ROOT / "seqgen" / "third_party" / name
    files = {p.name for p in folder.iterdir()} - {"LICENSE", "PROVENANCE.md"}
    assert files == set(table) - {"(its text, decompressed)"}
    for file in files:
        data = (folder / file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == table[file], file
        if file.endswith(".gz"):
            text = gzip.decompress(data)
            assert hashlib.sha256(text).hexdigest() == table["(its text, decompressed)"]
            assert len(data) < 500_000  # small enough to ship in the wheel


def test_the_reserved_texts_are_in_no_source():
    phrase_lines = phrases.phrases(0, "train", 5000, 50) + phrases.phrases(0, "test", 500, 50)
    for name, text in (("shakespeare", shakespeare.shakespeare_text()),
                       ("jargon", jargon.jargon_text()), ("phrases", "\n".join(phrase_lines))):
        flat = " ".join(text.split()).lower()
        for phrase in RESERVED:
            assert phrase.lower() not in flat, (name, phrase)


def test_the_prose_is_plain_sentences_every_font_draws():
    text = jargon.jargon_text()
    assert text.isascii() and text.endswith("\n") and "\n\n\n" not in text
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789 .,;:'\"!?()-&/$%+=\n")
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert {"email", "website", "password", "download", "online", "software", "internet",
            "laptop", "server", "network"} <= words
    assert not re.search(r"https?:|www\.|@", text)


# ----------------------------------------------------------------------------
# The mixed lines.
# ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pools():
    counts = {"train": 4000, "valid": 600, "test": 600}
    shakes = wrap_corpus(shakespeare.shakespeare_text(), 50)
    return drawn_mix.mixed_pools(shakes, jargon.jargon_text(), 0, counts, 50,
                                 drawn_mix.Mix(prose=0.25, numbers=0.35)), shakes


def test_the_proportions_are_as_configured(pools):
    mixed, shakes = pools
    prose = wrap_corpus(jargon.jargon_text(), 50)
    for split, n in (("train", 4000), ("valid", 600), ("test", 600)):
        lines = mixed.lines[split]
        assert len(lines) == n and sum(mixed.sources[split].values()) == n
        for source, p in zip(drawn_mix.SOURCES, (0.40, 0.25, 0.35), strict=True):
            share = mixed.sources[split][source] / n
            assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), (split, source, share)
        # Each line is its split's: a corpus line of this split or a phrase of its bucket.
        corpus = set(shakes.lines[split]) | set(prose.lines[split])
        phrases_here = [t for t in lines if t not in corpus]
        assert all(phrases.split_of(t) == split for t in phrases_here)
        assert len(phrases_here) == pytest.approx(mixed.sources[split]["numbers"], abs=3)
    # Interleaved, not in blocks: every source among the first 30 lines.
    firsts = mixed.lines["train"][:30]
    assert any(re.search(r"\d", t) for t in firsts)


def test_the_splits_share_no_line_and_keep_within_max_chars(pools):
    mixed, _ = pools
    train, valid, test = (set(mixed.lines[s]) for s in ("train", "valid", "test"))
    assert not train & valid and not train & test and not valid & test
    assert max(len(t) for s in mixed.lines.values() for t in s) <= 50


def test_more_lines_keep_the_first_and_the_seed_matters():
    shakes = wrap_corpus(shakespeare.shakespeare_text(), 50)
    mix = drawn_mix.Mix(0.3, 0.3)

    def lines(seed, n):
        return drawn_mix.mixed_pools(shakes, jargon.jargon_text(), seed,
                                     {"train": n, "valid": 5, "test": 5}, 50, mix).lines["train"]
    a = lines(0, 200)
    assert lines(0, 300)[:200] == a and lines(0, 200) == a
    assert lines(1, 200) != a


def test_all_shakespeare_or_no_shakespeare():
    shakes = wrap_corpus(shakespeare.shakespeare_text(), 50)
    counts = {"train": 300, "valid": 10, "test": 10}
    only = drawn_mix.mixed_pools(shakes, jargon.jargon_text(), 0, counts, 50,
                                 drawn_mix.Mix(0.0, 0.0))
    assert set(only.lines["train"]) <= set(shakes.lines["train"])
    numbers = drawn_mix.mixed_pools(shakes, jargon.jargon_text(), 0, counts, 50,
                                    drawn_mix.Mix(0.0, 1.0))
    assert numbers.lines["train"] == tuple(phrases.phrases(0, "train", 300, 50))


# ----------------------------------------------------------------------------
# The dataset, the fonts and the alphabet.
# ----------------------------------------------------------------------------

def test_a_mixed_dataset_prepares_with_digits_and_symbols_in_its_alphabet():
    splits = drawn.load_drawn(MIXED)
    info = splits.info
    assert info["texts"] == "mixed" and info["num_lines"] == {"train": 48, "valid": 12,
                                                              "test": 12}
    assert sum(info["text_sources"]["train"].values()) == 48
    assert info["missing_glyphs"] == dict.fromkeys(fonts.FONTS, 0)
    assert info["source_sha256"] != drawn.load_drawn({**MIXED, "texts": "shakespeare"}
                                                     ).info["source_sha256"]
    # The kinds' alphabet: the training texts plus what the dataset promises.
    alphabet = Alphabet.from_texts(splits.train.texts + (info["alphabet_extra"],))
    assert set("0123456789$%&'()+,-./:=\u00a3\u20ac") <= set(alphabet.chars)
    for text in splits.valid.texts + splits.test.texts:
        assert not alphabet.unseen(text), text
    lengths = [len(t) for t in splits.train.texts]
    assert max(lengths) <= 50 and 20 < np.mean(lengths) < 40


def test_every_character_of_the_mixed_texts_can_be_drawn():
    # Each character of the three sources has a glyph in every training font,
    # its own or a fallback's; only the Hershey fonts borrow, and only £ and €.
    chars = (set(shakespeare.shakespeare_text()) | set(jargon.jargon_text())
             | set(phrases.PHRASE_CHARS)) - set(" \n\t")
    borrowed = {}
    for font in fonts.WRITER_FONTS:
        for c in chars:
            glyph, is_fallback = drawing._find_glyph(c, font)
            assert glyph is not None and glyph.strokes, (font, c)
            if is_fallback:
                borrowed.setdefault(font, set()).add(c)
    assert borrowed == {"hershey_script": {"\u00a3", "\u20ac"},
                        "hershey_script_complex": {"\u00a3", "\u20ac"}}


def test_the_default_lines_are_the_shakespeare_lines_as_before():
    # texts='shakespeare' spelled out is the default, and its info has no mixed keys.
    small = {"num_train": 6, "num_valid": 2, "num_test": 2}
    a, b = drawn.load_drawn(small), drawn.load_drawn({**small, "texts": "shakespeare",
                                                      "prose_fraction": 0.9})
    assert a.train.texts == b.train.texts and a.info["source_sha256"] == b.info["source_sha256"]
    for x, y in zip(a.train.lines, b.train.lines, strict=True):
        np.testing.assert_array_equal(x, y)
    assert "texts" not in a.info and "alphabet_extra" not in a.info
    assert not any(re.search(r"\d", t) for t in a.train.texts)


@pytest.mark.parametrize("config, field", [
    ({"texts": "modern"}, "texts"), ({"texts": "mixed", "prose_fraction": 1.5}, "prose_fraction"),
    ({"texts": "mixed", "numbers_fraction": -0.1}, "numbers_fraction"),
    ({"texts": "mixed", "numbers_fraction": "0.3"}, "numbers_fraction"),
    ({"texts": "mixed", "prose_fraction": 0.6, "numbers_fraction": 0.6}, "prose_fraction")])
def test_bad_texts_settings_are_one_line_errors(config, field):
    with pytest.raises(StrokeDataError, match=f"data_config.{field}") as e:
        drawn.load_drawn(config)
    assert "\n" not in str(e.value)
    c = handwriting_config.base()
    if isinstance(config.get("numbers_fraction"), str):
        return  # ml_collections itself refuses a string for a float field
    c.data.update(config)
    with pytest.raises(ConfigError, match=f"config.data.{field}") as e:
        checks.validate(c)
    assert "\n" not in str(e.value)


def test_the_config_documents_the_fields_and_old_runs_resume():
    c = handwriting_config.synthesis_base()
    assert (c.data.texts, c.data.prose_fraction, c.data.numbers_fraction) == (
        "shakespeare", 0.3, 0.3)
    checks.validate(c)
    c.data.texts = "mixed"
    checks.validate(c)
    # A checkpoint saved before the fields existed resumes with their defaults...
    saved = handwriting_config.synthesis_base().to_dict()
    for field in ("texts", "prose_fraction", "numbers_fraction"):
        del saved["data"][field]
    checks.check_same_model(saved, handwriting_config.synthesis_base(), "/w")
    # ...but not with mixed texts, which it was not trained on.
    with pytest.raises(ConfigError, match="data.texts: None -> 'mixed'"):
        checks.check_same_model(saved, c, "/w")


def test_ink_density_of_mixed_lines_stays_near_25_points_a_character():
    splits = drawn.load_drawn({**MIXED, "num_train": 120, "num_valid": 0, "num_test": 0})
    # Calibrated on Shakespeare's characters, as before; digits change it little.
    assert 22.0 < splits.info["mean_points_per_char"]["train"] < 30.0


@pytest.mark.parametrize("kind_name", ["synthesis", "recognition"])
def test_the_kinds_alphabet_holds_digits_with_mixed_texts(kind_name):
    from seqgen import kinds

    c = kinds.get(kind_name).default_config()
    c.data.update({**MIXED, "num_train": 16, "num_valid": 4, "num_test": 4, "max_chars": 20})
    kind = kinds.make(c)
    kind.load_data()
    chars = set(kind.alphabet.chars)
    assert set("0123456789$%&'()+,-./:=\u00a3\u20ac") <= chars
    assert set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") <= chars
    # The default texts keep the alphabet of the training lines alone.
    c.data.texts = "shakespeare"
    plain = kinds.make(c)
    plain.load_data()
    assert set(plain.alphabet.chars) == {""} | set("".join(plain.splits.train.texts))
