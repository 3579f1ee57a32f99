"""Entry point of the 1997 suite: one config's trials.

  python -m seqgen.tasks.main --config=configs/tasks/adding.py --workdir=/tmp/seqgen/adding
  python -m seqgen.tasks.main --config=configs/tasks/adding.py:T=500 --workdir=/tmp/w

The 1997 experiments train online, one sequence per update, until a
success criterion holds: a different loop from seqgen.train's, so it has its
own trainer (seqgen/tasks/trainer.py), which a task config names
(config.trainer). The command line is seqgen.main's (same flags, one-line
errors, compilation cache); it prints `success after N sequences` (or the
cap) and the test count per trial, and leaves <workdir>/result.json. The
10-trial table is `python -m seqgen.tasks.report`.
"""

from seqgen import main
from seqgen.command import preamble

if __name__ == "__main__":
    preamble.run(main.main, main.RULES, parse=main.parse_flags)
