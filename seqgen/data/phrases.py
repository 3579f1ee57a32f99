"""Generated phrases with numbers: what users write and Shakespeare never does.

Short sentences about everyday modern things (email, laptop, password,
meeting, app) around the numbers people write by hand: dates ('12 March
2024', '3/14/2025', '2025-06-01', 'Monday, 4 May'), amounts ('$5,000',
'£12.50', '16 percent', '12.5%', '1,250 km', '3 x 4 = 12'), times ('9:45
pm', 'at 10:30', 'half past nine'), counts and ordinals ('the 3rd floor',
'42 people'), reference and phone numbers ('room 214', 'flight BA 2490',
'call 555-0143'), addresses ('221 Baker Street'), years and ranges
('1990-2005'). Drawn handwriting mixes them into its lines
(seqgen/data/drawn_mix.py), and number_phrases.py holds a fixed held-out
list of them for legibility tables.

`phrase(rng)` draws one: a sentence of TEMPLATES (number_slots.SLOTS fill
its {slots}; each template is equally likely), or, with probability
BARE_PROBABILITY, a number slot's bare value ('at 10:30', '$19.99'), so that short
lines exist for any max_chars >= 10. Every date is a real date (drawn as a
day number), every sum adds up, every amount has its thousands commas and
two decimals for cents.

Splits. A line's split is fixed by its text, not by where it was drawn:
`split_of(line)` is sha256(line) mod SPLIT_BUCKETS (20): buckets 0-17 train
(90%), 18 valid, 19 test. `phrases(seed, split, n, max_chars)` draws from
the stream default_rng([PHRASE_TAG, seed, k]) (k = 0, 1, 2 for train, valid,
test) and keeps the lines of the split's buckets with max_chars * 0.4 to
max_chars characters, each line once, so no line of one split is ever a line of another,
whatever the seeds, and asking for more lines keeps the first ones.
Changing a template, a slot or a word list changes the lines: bump
PHRASES_VERSION with it (drawn_mix records it in the dataset info).
"""
from __future__ import annotations

import hashlib
import string
from collections.abc import Set as AbstractSet

import numpy as np

from seqgen.data.number_slots import NUMBER_SLOTS, SLOTS, SYMBOLS
from seqgen.data.strokes import StrokeDataError

PHRASES_VERSION = "1.0.0"
PHRASE_TAG = 0x70687261  # 'phra': the phrase stream's own seed entropy
SPLITS = ("train", "valid", "test")
SPLIT_BUCKETS = 20
BUCKETS = {"train": range(0, 18), "valid": range(18, 19), "test": range(19, 20)}
MIN_FRACTION = 0.4  # shortest line kept, as a fraction of max_chars (20 of 50)
BARE_PROBABILITY = 0.08  # a slot's bare value instead of a sentence
MAX_TRIES = 100_000  # candidates drawn without one kept: the settings cannot work
# Every character a phrase may hold besides letters and the space: the
# drawn dataset adds these to the alphabet (drawn_mix.ALPHABET_EXTRA).
PHRASE_CHARS = string.digits + SYMBOLS

# Sentences, a few dozen characters each. {slot} names come from SLOTS;
# a slot used twice is drawn twice.
TEMPLATES = (
    # dates
    "The meeting is on {date}.",
    "Send the report by {date}.",
    "The {document} is due {date}.",
    "My flight leaves on {date}.",
    "The app update is due {date}.",
    "Your password expires on {date}.",
    "Invoice dated {date}",
    "Deadline: {date}",
    "The webinar starts {weekday_date}.",
    "See you {weekday_date} at {time}.",
    "Backup made {iso_date} at {clock}",
    "Order placed {iso_date}",
    "Born {date} in {city}",
    # amounts
    "The laptop cost {money}.",
    "I paid {money} for the tickets.",
    "Refund of {money} sent by email.",
    "Total: {money}",
    "Rent went up {percent} this year.",
    "Sales rose {percent} in {year}.",
    "The battery is at {percent}.",
    "Only {percent} of users log in.",
    "We drove {distance} to {city}.",
    "The file is {size} in size.",
    "Download {size} before the trip.",
    "It weighs {weight}.",
    "Check: {sum}",
    "Remember that {sum}.",
    "A new phone for {money}, not {money}",
    "My new {device} cost {money}.",
    "{name} owes me {money} for lunch.",
    "{name} & {name} paid {money} online.",
    # times
    "Call me at {time} tomorrow.",
    "The shop opens {at_time}.",
    "The video call is {at_time}.",
    "Lunch at {spoken_time} today",
    "The train left {at_time} sharp.",
    "Doors open {at_time}, show at {time}",
    "We met online at {spoken_time}.",
    "{name} sent the {document} {at_time}.",
    "Q&A session {at_time}, room {bus}",
    # counts and ordinals
    "{people} joined the meeting.",
    "There are {people} in the group chat.",
    "The app now has {people}.",
    "The office is on the {ordinal} floor.",
    "She finished {ordinal} out of {number}.",
    "I have {things} to sort out.",
    "My inbox has {number} unread emails.",
    "{things} were lost in the crash.",
    "It is the {ordinal} version of the app.",
    "Print {number} copies, {ordinal} draft",
    # references and phone numbers
    "The interview is in {room}.",
    "Take {flight} from gate {gate}.",
    "Please call {phone} after {time}.",
    "Text me: {phone}",
    "My seat is {seat} on {flight}.",
    "Take bus {bus} to the station.",
    "Your ticket number is {ticket}.",
    "Order {ticket} ships {date}.",
    "The code is {pin}, not {pin}.",
    # addresses
    "Send the parcel to {address}.",
    "We moved to {address} in {year}.",
    "The office is at {address}.",
    "Meet at {address}, {city}",
    # years and ranges
    "She lived in {city} from {range}.",
    "The website ran from {range}.",
    "Emails from {range} are archived.",
    "He bought his first laptop in {year}.",
    "Back in {year} nobody had an app.",
    "For ages {age_range} only",
    "Read pages {page_range} tonight.",
)


def split_of(line: str) -> str:
    """The split a line belongs to, by the hash of its text."""
    bucket = int.from_bytes(hashlib.sha256(line.encode("utf-8")).digest()[:8], "big")
    bucket %= SPLIT_BUCKETS
    return next(s for s in SPLITS if bucket in BUCKETS[s])


def fill(template: str, rng: np.random.Generator) -> str:
    """The template with each {slot} replaced by a value drawn from SLOTS."""
    out, rest = [], template
    while "{" in rest:
        head, rest = rest.split("{", 1)
        name, rest = rest.split("}", 1)
        out += [head, SLOTS[name](rng)]
    text = "".join(out + [rest])
    return text[0].upper() + text[1:]


def phrase(rng: np.random.Generator) -> str:
    """One phrase: a filled template, or now and then a slot's bare value."""
    if rng.random() < BARE_PROBABILITY:
        return SLOTS[NUMBER_SLOTS[int(rng.integers(len(NUMBER_SLOTS)))]](rng)
    return fill(TEMPLATES[int(rng.integers(len(TEMPLATES)))], rng)


def phrases(seed: int, split: str, n: int, max_chars: int,
            exclude: AbstractSet[str] = frozenset()) -> list[str]:
    """The first n phrases of `split` with max_chars * MIN_FRACTION to
    max_chars characters, none of them in `exclude` (see the module docstring)."""
    if max_chars < 10:
        raise StrokeDataError(f"data_config.max_chars={max_chars}: use 10 or more "
                              f"(IAM-OnDB lines have ~30-45 characters).")
    rng = np.random.default_rng([PHRASE_TAG, seed, SPLITS.index(split)])
    low = max(1, round(max_chars * MIN_FRACTION))
    out: list[str] = []
    seen: set[str] = set()
    misses = 0
    while len(out) < n:
        line = phrase(rng)
        if (low <= len(line) <= max_chars and line not in seen and line not in exclude
                and split_of(line) == split):
            out.append(line)
            seen.add(line)
            misses = 0
        else:
            misses += 1
            if misses > MAX_TRIES:
                raise StrokeDataError(f"phrases: no {split} phrase of {low}-{max_chars} "
                                      f"characters in {MAX_TRIES:,} tries; raise "
                                      f"data_config.max_chars.")
    return out
