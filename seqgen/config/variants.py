"""The variant after the colon of --config=FILE:ARG, parsed one way for every
config file (big_vision's configs/common.py: parse_arg).

A config file declares what its ARG may hold, each name with its default:

    from seqgen.config.variants import parse_arg

    def get_config(arg=None):
        v = parse_arg(arg, "configs/tasks/reber.py", lr=0.5,
                      shape=("3x2", "4x1", "6x2"), bptt=False, smoke=False)

and `--config=configs/tasks/reber.py:6x2,bptt,lr=0.1` gives v.shape == '6x2',
v.bptt is True, v.lr == 0.1, v.smoke is False. The grammar: comma-separated
items in any order, each one of
  name          a bool set True (`smoke`), or a choice by its value (`6x2`)
  name=value    typed as the default (int, float, str; bool: true or false)
The kinds of default:
  False         a flag: `name` alone sets it (`name=false` is allowed too)
  0, 0.5, 'x'   a typed value: `name=value`
  int, float, str   a typed value without a default (None when not given),
                for a default that depends on other variants
  ('a', 'b')    a choice, the first is the default: `b` alone or `name=b`;
                two items choosing different values of one name are an error,
                so the choices exclude each other. Choice values need not
                be identifiers (`6b`, `4x1`): they are matched as text.
Anything else fails in one line that names the file and lists what it accepts:
  unknown variant 'smok' of configs/enwik8.py; use smoke
"""

from __future__ import annotations

from typing import NoReturn

import ml_collections

from seqgen.command.errors import ConfigError

TYPES = (bool, int, float, str)


def parse_arg(arg: str | None, path: str, **spec) -> ml_collections.ConfigDict:
    """ARG of `--config=PATH:ARG` -> every name in `spec` with its value."""
    choice_of = {}  # a choice's value (typed alone) -> its name
    for name, default in spec.items():
        if isinstance(default, tuple):
            for value in default:
                if not isinstance(value, str) or value in spec or value in choice_of:
                    raise TypeError(f"{path}: choice {value!r} of {name} is not a "
                                    "string or is ambiguous")
                choice_of[value] = name
        elif not (isinstance(default, TYPES) or default in TYPES):
            raise TypeError(f"{path}: variant {name}={default!r} is not one of "
                            "bool, int, float, str, a type or a tuple of choices")

    def fail(head: str, tail: str = "") -> NoReturn:
        raise ConfigError(f"{head} of {path}{tail}; use {accepted(spec)}")

    given: dict[str, tuple[str, object]] = {}  # name -> (item, value)
    for item in (t.strip() for t in (arg or "").split(",")):
        if not item:
            continue
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq and name in choice_of:
            name, text = choice_of[name], name
        elif name not in spec:
            fail(f"unknown variant {item!r}")
        default = spec[name]
        if eq or isinstance(default, tuple):
            value = _convert(text.strip(), default)
        elif default is False:
            value = True
        else:
            fail(f"variant {item!r}", " needs a value")
        if value is None:
            fail(f"variant {item!r}", f": {name} takes {_describe(default)}")
        if name in given and given[name][1] != value:
            fail(f"variants {given[name][0]!r} and {item!r}", " exclude each other")
        given[name] = (item, value)

    out = ml_collections.ConfigDict()
    for name, default in spec.items():
        if name in given:
            out[name] = given[name][1]
        else:
            out[name] = default[0] if isinstance(default, tuple) else \
                None if default in TYPES else default
    return out


def accepted(spec: dict) -> str:
    """'T=<int>, lr=<float>, 3x2|4x1|6x2, bptt, smoke': what ARG may hold."""
    return ", ".join("|".join(d) if isinstance(d, tuple) else name if d is False
                     else f"{name}=<{_type(d).__name__}>" for name, d in spec.items())


def _type(default) -> type:
    return default if default in TYPES else type(default)


def _describe(default) -> str:
    if isinstance(default, tuple):
        return "one of " + ", ".join(default)
    kind = _type(default)
    return "true or false" if kind is bool else f"a{'n' * (kind is int)} {kind.__name__}"


def _convert(text: str, default):
    """`text` as the type of `default`, or None when it is not one."""
    if isinstance(default, tuple):
        return text if text in default else None
    kind = _type(default)
    if kind is bool:
        return {"true": True, "false": False}.get(text.lower())
    try:
        return kind(text)
    except ValueError:
        return None
