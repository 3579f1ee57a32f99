"""Tests of the generated number phrases (seqgen/data/phrases.py, number_slots.py)."""
import calendar
import datetime
import re

import numpy as np
import pytest

from seqgen.data import number_slots, phrases
from seqgen.data.strokes import StrokeDataError

MONTH = "|".join(number_slots.MONTHS)
DAY = "|".join(number_slots.WEEKDAYS)


@pytest.fixture(scope="module")
def many():
    rng = np.random.default_rng(7)
    return [phrases.phrase(rng) for _ in range(20_000)]


def test_the_same_seed_gives_the_same_phrases_and_more_keep_the_first():
    a = phrases.phrases(3, "train", 300, 50)
    assert a == phrases.phrases(3, "train", 300, 50)
    assert phrases.phrases(3, "train", 500, 50)[:300] == a
    assert len(set(a) & set(phrases.phrases(4, "train", 300, 50))) < 30


def test_each_split_holds_only_its_own_hash_bucket_and_no_line_twice():
    lines = {s: phrases.phrases(0, s, n, 50) for s, n in
             (("train", 3000), ("valid", 400), ("test", 400))}
    for split, got in lines.items():
        assert len(set(got)) == len(got)
        assert {phrases.split_of(t) for t in got} == {split}
    assert not set(lines["train"]) & set(lines["valid"])
    assert not set(lines["train"]) & set(lines["test"])
    assert not set(lines["valid"]) & set(lines["test"])
    # Another seed's valid lines are no seed's train lines either: the bucket is the text's.
    other = phrases.phrases(99, "valid", 400, 50)
    assert not set(other) & set(lines["train"])


def test_the_buckets_split_90_5_5():
    rng = np.random.default_rng(1)
    splits = [phrases.split_of(phrases.phrase(rng)) for _ in range(20_000)]
    for split, want in (("train", 0.9), ("valid", 0.05), ("test", 0.05)):
        assert splits.count(split) / len(splits) == pytest.approx(want, abs=0.01)


@pytest.mark.parametrize("max_chars", [10, 20, 35, 50, 80])
def test_lengths_stay_within_max_chars(max_chars):
    got = phrases.phrases(0, "valid", 200, max_chars)
    lengths = np.array([len(t) for t in got])
    assert lengths.max() <= max_chars and lengths.min() >= round(0.4 * max_chars)
    if max_chars == 50:
        assert 24 < lengths.mean() < 36  # IAM-like lines of ~20-40 characters
    with pytest.raises(StrokeDataError, match="data_config.max_chars"):
        phrases.phrases(0, "valid", 1, 9)


def test_templates_are_well_formed_and_name_real_slots():
    for template in phrases.TEMPLATES:
        assert set(re.findall(r"\{(\w+)\}", template)) <= set(number_slots.SLOTS), template
        assert template.count("{") == template.count("}")
    assert set(number_slots.NUMBER_SLOTS) <= set(number_slots.SLOTS)
    rng = np.random.default_rng(0)
    for name in number_slots.NUMBER_SLOTS:
        assert all(re.search(r"\d", number_slots.SLOTS[name](rng)) for _ in range(50)), name


def test_phrases_use_only_letters_digits_and_the_listed_symbols(many):
    used = set("".join(many))
    allowed = set(phrases.PHRASE_CHARS) | set("abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ ")
    assert used <= allowed
    assert set("0123456789$%/:-,.&+=") <= used  # every digit and the common symbols occur
    assert sum(bool(re.search(r"\d", t)) for t in many) / len(many) > 0.9


def test_dates_are_real_days(many):
    text = "\n".join(many)
    n = 0
    for y, m, d in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        datetime.date(int(y), int(m), int(d))
        n += 1
    for m, d, y in re.findall(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", text):
        datetime.date(int(y), int(m), int(d))
        n += 1
    for d, month, y in re.findall(rf"\b(\d{{1,2}}) ({MONTH}) (\d{{4}})\b", text):
        datetime.date(int(y), number_slots.MONTHS.index(month) + 1, int(d))
        n += 1
    for month, d, y in re.findall(rf"\b({MONTH}) (\d{{1,2}}), (\d{{4}})\b", text):
        datetime.date(int(y), number_slots.MONTHS.index(month) + 1, int(d))
        n += 1
    for weekday, d, month in re.findall(rf"\b({DAY}), (\d{{1,2}}) ({MONTH})\b", text):
        m = number_slots.MONTHS.index(month) + 1
        # The weekday is the date's in some year the dates cover.
        assert any(calendar.weekday(y, m, int(d)) == number_slots.WEEKDAYS.index(weekday)
                   for y in range(1985, 2035)
                   if int(d) <= calendar.monthrange(y, m)[1]), (weekday, d, month)
        n += 1
    assert n > 1000


def test_times_amounts_sums_and_ordinals_are_well_formed(many):
    text = "\n".join(many)
    for h, m, _half in re.findall(r"\b(\d{1,2}):(\d{2}) (am|pm)\b", text):
        assert 1 <= int(h) <= 12 and 0 <= int(m) <= 59
    for h, m in re.findall(r"\b(\d{1,2}):(\d{2})\b(?! [ap]m)", text):
        assert 0 <= int(h) <= 23 and 0 <= int(m) <= 59
    amounts = re.findall(r"[$\u00a3\u20ac](\d[\d,]*\d|\d)(\.\d+)?", text)
    assert len(amounts) > 500
    for whole, cents in amounts:
        assert re.fullmatch(r"\d{1,3}(,\d{3})*", whole), whole
        assert cents in ("",) or re.fullmatch(r"\.\d\d", cents), cents
        assert int(whole.replace(",", "")) > 0
    for number in re.findall(r"(?<![\d.,/:-])\d[\d,]*\d(?= (?:km|miles|kg|people|users|emails))",
                             text):
        assert re.fullmatch(r"\d{1,3}(,\d{3})*", number), number
    sums = re.findall(r"\b(\d+) ([x+-]) (\d+) = (\d+)\b", text)
    assert len(sums) > 100
    for a, op, b, c in sums:
        a, b, c = int(a), int(b), int(c)
        assert {"x": a * b, "+": a + b, "-": a - b}[op] == c
    for n, suffix in re.findall(r"\b(\d+)(st|nd|rd|th)\b", text):
        assert number_slots.ordinal(int(n)) == n + suffix
    for start, end in re.findall(r"\bfrom (\d{4})-(\d{4})\b", text):
        assert int(start) < int(end)
    for value in re.findall(r"\b(\d+(?:\.\d)?)(?:%| percent| per cent)", text):
        assert 0 < float(value) < 100


def test_ordinal_suffixes():
    assert [number_slots.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 112, 123)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "112th",
        "123rd"]


def test_modern_words_occur(many):
    words = set(re.findall(r"[a-z]+", " ".join(many).lower()))
    assert {"email", "website", "laptop", "password", "download", "meeting", "online",
            "app", "inbox", "webinar", "backup"} <= words
