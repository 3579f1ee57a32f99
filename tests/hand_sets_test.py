"""The rule that splits the hands into writer, judge and reserved sets."""
import hashlib

import pytest

from seqgen.data import hand_sets as hands

WRITER_FONTS = ("hershey_script", "ems_allure")
RESERVED_FONTS = ("ems_felix",)


def families(n_joined: int, n_print: int) -> dict[str, str]:
    return {**{f"j{i:02d}": "joined" for i in range(n_joined)},
            **{f"p{i:02d}": "print" for i in range(n_print)}}


def test_the_sets_are_disjoint_cover_everything_and_keep_the_single_line_roles():
    traced = families(20, 25)
    h = hands.split(traced, WRITER_FONTS, RESERVED_FONTS)
    everything = h.writer + h.judge + h.reserved
    assert len(everything) == len(set(everything)) == 45 + 3
    assert set(everything) == set(traced) | set(WRITER_FONTS) | set(RESERVED_FONTS)
    assert set(WRITER_FONTS) <= set(h.writer) and set(RESERVED_FONTS) <= set(h.reserved)
    # Both styles in every set.
    for s in (h.writer, h.judge, h.reserved):
        assert {traced.get(f) for f in s} >= {"joined", "print"}


def test_the_deal_by_hash_order_by_hand():
    # Re-derived here: sort each style by sha256(salt + id), deal 0 -> reserved,
    # 1, 4, 7 -> judge, the rest -> writer, per ten.
    traced = families(20, 25)
    want = {"writer": set(), "judge": set(), "reserved": set()}
    for style in ("joined", "print"):
        ids = sorted((f for f, s in traced.items() if s == style),
                     key=lambda f: hashlib.sha256(("seqgen hands v1:" + f).encode()).hexdigest())
        for i, f in enumerate(ids):
            want["reserved" if i % 10 == 0 else "judge" if i % 10 in (1, 4, 7)
                 else "writer"].add(f)
    h = hands.split(traced, (), ())
    assert len(want["reserved"]) == 2 + 3 and len(want["judge"]) == 6 + 8
    assert (set(h.writer), set(h.judge), set(h.reserved)) == \
        (want["writer"], want["judge"], want["reserved"])


def test_the_minimums_are_filled_from_the_writer_set_in_hash_order():
    h = hands.split(families(10, 10), (), ())  # the deal gives 2 reserved, 6 judge
    assert len(h.reserved) == hands.MIN_RESERVED and len(h.judge) == hands.MIN_JUDGE
    assert len(h.writer) == 20 - hands.MIN_RESERVED - hands.MIN_JUDGE


def test_the_split_does_not_depend_on_the_input_order():
    traced = families(13, 30)
    backwards = dict(reversed(list(traced.items())))
    assert hands.split(traced, (), ()) == hands.split(backwards, (), ())


def test_an_unknown_style_is_refused():
    with pytest.raises(ValueError, match="cursive"):
        hands.split({"a": "cursive"}, (), ())
