"""The one way a command starts and fails: `run(main, RULES)`.

Every command (`python -m seqgen.<name>`, `seqgen <verb>`, the tools and
benchmarks) ends with

  if __name__ == "__main__":
      _define_flags()
      preamble.run(main, RULES)

and `run` does, in this order, what each of them needs:
  1. absl parses the flags; a flag it cannot parse is one FATAL line;
  2. positional arguments are refused (every input is a --name=value flag);
  3. the console goes quiet (seqgen/command/console.py: no chatter a user
     cannot act on);
  4. every flag is checked against its rule (seqgen/command/flag_checks.py)
     before any work, so a bad value costs no JAX import or compilation;
  5. the persistent compilation cache is turned on: the command's own
     --jax_cache_dir where it has one, else $SEQGEN_JAX_CACHE or the XDG
     default (seqgen/command/jax_cache.py); `cache=False` for a command
     that compiles nothing;
  6. `main()` runs. A `UserError` raised anywhere in it is one line,
     `FATAL <message>`, exit status 1, and no traceback: the message names
     the file or the setting and the fix.

Other exceptions keep their traceback: they are seqgen's bugs, not the
user's input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from absl import app, flags

from seqgen.command import flag_checks as fc
from seqgen.command import jax_cache
from seqgen.command.console import quiet_console
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS


def start(main: Callable[[], object], rules: Mapping[str, fc.Rule], argv: list[str], *,
          cache: bool = True) -> None:
    """Steps 2-6 above, with absl's flags already parsed (app.run's main)."""
    if len(argv) > 1:
        sys.exit(f"FATAL unexpected arguments: {' '.join(argv[1:])} (flags are "
                 "--name=value)")
    quiet_console()
    try:
        fc.check(rules, {name: FLAGS[name].value for name in rules})
        if cache:
            jax_cache.enable(FLAGS["jax_cache_dir"].value if "jax_cache_dir" in FLAGS
                             else None)
        main()
    except UserError as e:
        sys.exit(f"FATAL {e}")


def run(main: Callable[[], object], rules: Mapping[str, fc.Rule], *,
        parse: Callable[[list[str]], list[str]] = fc.parse_absl_flags,
        cache: bool = True) -> None:
    """The command's whole life: parse (`parse`, absl's parser with one-line
    errors by default), then `start`. Returns only if main() does."""
    app.run(lambda argv: start(main, rules, argv, cache=cache), flags_parser=parse)
