"""The slots of phrases.py's templates: dates, amounts, times, counts, numbers.

SLOTS maps a slot's name to a function of a numpy Generator that returns its
text. Each slot draws its own format among the ways people write the thing
(a date as '12 March 2024', 'March 12, 2024', '3/14/2025' (month first),
'2025-06-01'), with values that are well formed by construction: dates are
real days (a day number turned into a datetime.date), a weekday is the
weekday of its date in the year drawn, sums add up, amounts carry thousands
commas and cents two decimals, 12-hour times run 1-12 and 24-hour ones 0-23.
The words are everyday modern ones (devices, files, cities, names).
NUMBER_SLOTS are the slots whose text holds a number: a phrase can be one
of them bare. SYMBOLS lists every character besides letters, digits and
the space that a slot or a template writes.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy as np

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CURRENCIES = ("$", "$", "$", "£", "£", "€")  # dollars most often
FIRST_DAY = datetime.date(1985, 1, 1)
DAYS = 50 * 365  # dates from 1985 to 2034
CITIES = ("London", "Paris", "Boston", "Delhi", "Tokyo", "Lagos", "Berlin", "Sydney",
          "Toronto", "Madrid", "Dublin", "Oslo", "Chicago", "Lima", "Cairo", "Seoul",
          "Denver", "Leeds", "Austin", "Nairobi")
NAMES = ("Anna", "Sam", "Priya", "Tom", "Maria", "Chen", "Omar", "Lucy", "Ben", "Zoe",
         "Kofi", "Elena", "Raj", "Mia", "Jack", "Aisha", "Leo", "Sara", "Ivan", "Nina")
STREETS = ("Baker Street", "Elm Road", "Park Lane", "High Street", "Main Street",
           "Oak Avenue", "Mill Lane", "Church Road", "King Street", "Station Road",
           "Maple Drive", "River Walk", "Hill Road", "Green Lane", "Market Street")
AIRLINES = ("BA", "AA", "LH", "AF", "UA", "QF", "EK", "KL", "DL", "IB")
DEVICES = ("laptop", "phone", "tablet", "printer", "router", "headset", "monitor",
           "keyboard", "webcam", "smartwatch", "charger", "camera", "speaker", "mouse")
DOCUMENTS = ("report", "spreadsheet", "invoice", "photo", "video", "podcast", "slide deck",
             "backup", "playlist", "newsletter", "contract", "receipt", "blog post")
PEOPLE = ("people", "users", "students", "guests", "followers", "players", "volunteers",
          "customers", "members", "viewers")
THINGS = ("emails", "files", "messages", "tickets", "photos", "downloads", "apps",
          "passwords", "updates", "websites", "orders", "tabs", "videos", "links")
HOUR_WORDS = ("twelve", "one", "two", "three", "four", "five", "six", "seven", "eight",
              "nine", "ten", "eleven")
SYMBOLS = "$%&'()+,-./:=\u00a3\u20ac"  # '£' and '€' written with their code points


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return int(rng.integers(low, high + 1))


def _log_int(rng: np.random.Generator, low: int, high: int) -> int:
    """An integer in [low, high], log-uniform: small amounts as often as large."""
    return int(np.exp(rng.uniform(np.log(low), np.log(high + 1))))


def _day(rng: np.random.Generator) -> datetime.date:
    return FIRST_DAY + datetime.timedelta(days=_int(rng, 0, DAYS - 1))


def ordinal(n: int) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '112th'."""
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def date(rng: np.random.Generator) -> str:
    d = _day(rng)
    month = MONTHS[d.month - 1]
    return _pick(rng, (f"{d.day} {month} {d.year}", f"{month} {d.day}, {d.year}",
                       f"{d.month}/{d.day}/{d.year}", d.isoformat(),
                       f"the {ordinal(d.day)} of {month}", f"{month} {ordinal(d.day)}"))


def weekday_date(rng: np.random.Generator) -> str:
    d = _day(rng)
    return f"{WEEKDAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]}"


def clock(rng: np.random.Generator) -> str:
    """24-hour time: '14:05', '09:30'."""
    minute = _int(rng, 0, 3) * 15 if rng.random() < 0.5 else _int(rng, 0, 59)
    return f"{_int(rng, 0, 23):02d}:{minute:02d}"


def time(rng: np.random.Generator) -> str:
    """'9:45 pm', '7 am', '14:05', '10:30'."""
    hour, minute = _int(rng, 1, 12), _int(rng, 0, 11) * 5
    half = _pick(rng, ("am", "pm"))
    return _pick(rng, (f"{hour}:{minute:02d} {half}", f"{hour} {half}",
                       f"{hour}:{minute:02d}", clock(rng)))


def spoken_time(rng: np.random.Generator) -> str:
    hour = _pick(rng, HOUR_WORDS[1:])
    return _pick(rng, (f"half past {hour}", f"quarter to {hour}", f"quarter past {hour}",
                       f"ten past {hour}", f"{hour} o'clock", "noon", "midnight"))


def money(rng: np.random.Generator) -> str:
    """'$5,000', '£12.50', '€40', '$19.99'."""
    value = _log_int(rng, 1, 250_000)
    if rng.random() < 0.4 and value < 10_000:
        return f"{_pick(rng, CURRENCIES)}{value + _int(rng, 0, 99) / 100:,.2f}"
    return f"{_pick(rng, CURRENCIES)}{value:,}"


def percent(rng: np.random.Generator) -> str:
    value = _int(rng, 1, 99)
    decimal = f"{value - 1}.{_int(rng, 1, 9)}"
    return _pick(rng, (f"{value} percent", f"{value}%", f"{decimal}%", f"{value} per cent"))


def distance(rng: np.random.Generator) -> str:
    return _pick(rng, (f"{_log_int(rng, 2, 9_000):,} km",
                       f"{_int(rng, 1, 40)}.{_int(rng, 1, 9)} miles",
                       f"{_int(rng, 1, 9) * 100} m", f"{_log_int(rng, 2, 3_000):,} miles"))


def size(rng: np.random.Generator) -> str:
    return _pick(rng, (f"{_int(rng, 1, 64)} GB", f"{_int(rng, 1, 9)}.{_int(rng, 1, 9)} GB",
                       f"{_log_int(rng, 10, 900)} MB", f"{_int(rng, 1, 4)} TB"))


def weight(rng: np.random.Generator) -> str:
    return _pick(rng, (f"{_int(rng, 1, 20)}.{_int(rng, 1, 9)} kg", f"{_int(rng, 1, 9) * 50} g",
                       f"{_int(rng, 1, 40)} lb", f"{_log_int(rng, 1, 2_000):,} kg"))


def arithmetic(rng: np.random.Generator) -> str:
    """'3 x 4 = 12', '12 + 30 = 42', '50 - 8 = 42': always true."""
    a, b = _int(rng, 2, 99), _int(rng, 2, 99)
    kind = _pick(rng, ("x", "+", "-"))
    if kind == "x":
        a, b = _int(rng, 2, 12), _int(rng, 2, 12)
        return f"{a} x {b} = {a * b}"
    if kind == "+":
        return f"{a} + {b} = {a + b}"
    a, b = max(a, b), min(a, b)
    return f"{a} - {b} = {a - b}"


def count(rng: np.random.Generator, nouns: tuple[str, ...]) -> str:
    """'42 people', '1,250 emails'."""
    return f"{_log_int(rng, 2, 20_000):,} {_pick(rng, nouns)}"


def year_range(rng: np.random.Generator) -> str:
    start = _int(rng, 1950, 2020)
    return f"{start}-{_int(rng, start + 1, 2030)}"


def phone(rng: np.random.Generator) -> str:
    """Fictional numbers: 555-01xx (reserved for fiction in North America)."""
    return _pick(rng, (f"555-01{_int(rng, 0, 99):02d}", f"555 01{_int(rng, 0, 99):02d}",
                       f"(555) 01{_int(rng, 0, 9)}-{_int(rng, 0, 9999):04d}"))


SLOTS: dict[str, Callable[[np.random.Generator], str]] = {
    "date": date,
    "weekday_date": weekday_date,
    "iso_date": lambda rng: _day(rng).isoformat(),
    "time": time,
    "clock": clock,
    "at_time": lambda rng: f"at {time(rng)}",
    "spoken_time": spoken_time,
    "money": money,
    "percent": percent,
    "distance": distance,
    "size": size,
    "weight": weight,
    "sum": arithmetic,
    "people": lambda rng: count(rng, PEOPLE),
    "things": lambda rng: count(rng, THINGS),
    "ordinal": lambda rng: ordinal(_log_int(rng, 1, 200)),
    "number": lambda rng: str(_log_int(rng, 2, 500)),
    "room": lambda rng: f"room {_int(rng, 1, 9)}{_int(rng, 0, 30):02d}",
    "flight": lambda rng: f"flight {_pick(rng, AIRLINES)} {_int(rng, 100, 9999)}",
    "gate": lambda rng: f"{_pick(rng, tuple('ABCDEF'))}{_int(rng, 1, 60)}",
    "seat": lambda rng: f"{_int(rng, 1, 45)}{_pick(rng, tuple('ABCDEF'))}",
    "bus": lambda rng: str(_int(rng, 1, 300)),
    "phone": phone,
    "ticket": lambda rng: f"{_int(rng, 100, 999)}-{_int(rng, 1000, 9999)}",
    "pin": lambda rng: f"{_int(rng, 0, 9999):04d}",
    "address": lambda rng: f"{_log_int(rng, 1, 2_000)} {_pick(rng, STREETS)}",
    "year": lambda rng: str(_int(rng, 1950, 2030)),
    "range": year_range,
    "age_range": lambda rng: (lambda a: f"{a} to {_int(rng, a + 2, a + 12)}")(_int(rng, 3, 60)),
    "page_range": lambda rng: (lambda a: f"{a}-{_int(rng, a + 1, a + 40)}")(_int(rng, 1, 400)),
    "city": lambda rng: _pick(rng, CITIES),
    "name": lambda rng: _pick(rng, NAMES),
    "device": lambda rng: _pick(rng, DEVICES),
    "document": lambda rng: _pick(rng, DOCUMENTS),
}
# The slots whose text always holds a digit.
NUMBER_SLOTS = tuple(sorted(set(SLOTS) - {"city", "name", "device", "document",
                                          "spoken_time"}))
