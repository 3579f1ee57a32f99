"""Entry point: python -m seqgen.main --config=configs/default.py --workdir=DIR

Flags, multi-host start, then train.train_and_evaluate. Config fields are
overridden on the command line: --config.model.num_layers=3; the text after
a colon selects a variant: --config=configs/enwik8.py:smoke. A config for a
different loop names its trainer module (config.trainer, e.g. the 1997
tasks' `seqgen.tasks.trainer`, whose own entry is `python -m seqgen.tasks.main`);
that module's train_and_evaluate(config, workdir) runs instead.
"""

import ast
import importlib
import re
import sys

from absl import flags, logging

from seqgen.command import flag_checks as fc
from seqgen.command import jax_cache, preamble
from seqgen.config import files as config_files

FLAGS = flags.FLAGS
config_files.DEFINE_config_file(
    "config", "Config file or shipped config name (configs/default.py, tasks/adding)[:arg].")
flags.DEFINE_string("workdir", None, "Checkpoints, logs and samples go here; a "
                    "run resumes from it.")
flags.DEFINE_string("coordinator_address", "", "host:port of process 0 for a "
                    "multi-process run ('' = auto-detect SLURM / Cloud TPU).")
flags.DEFINE_integer("num_processes", 0, "Processes in a multi-process run.")
flags.DEFINE_integer("process_id", -1, "This process's index in a multi-process run.")
flags.DEFINE_string("jax_cache_dir", jax_cache.default_dir(),
                    "Persistent XLA compilation cache ('' = off).")
flags.mark_flags_as_required(["config", "workdir"])

# Every flag's check (seqgen/command/flag_checks.py); --config is checked as it is
# parsed (seqgen/config/files.py, config_checks.py) and the workdir's
# writability by train.py, which names what fails.
RULES = {
    "config": fc.anything,
    "workdir": fc.non_empty("a workdir for checkpoints, logs and samples"),
    "coordinator_address": fc.host_port,
    "num_processes": fc.between(0, 1_000_000, "0 = auto-detect or one process"),
    "process_id": fc.between(-1, 1_000_000, "-1 = auto-detect"),
    "jax_cache_dir": lambda v: None if v == "" else fc.writable_dir(v),
}


def main() -> None:
    import jax

    from seqgen import parallel

    # Before anything touches a device.
    parallel.maybe_initialize_distributed(
        FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    logging.info("JAX %s, process %d/%d, devices: %s", jax.__version__,
                 jax.process_index(), jax.process_count(), jax.devices())
    # A different loop is a different trainer module (big_vision style).
    trainer = importlib.import_module(FLAGS.config.get("trainer", "seqgen.train"))
    trainer.train_and_evaluate(FLAGS.config, FLAGS.workdir)


def parse_flags(argv: list[str]) -> list[str]:
    """absl parsing, but an unknown config field is one line, not a traceback."""
    try:
        return FLAGS(argv)
    except flags.Error as e:
        text = str(e).strip()
        if "Traceback" in text:  # config_flags embeds get_config's traceback: keep its verdict
            last = text.splitlines()[-1]  # user errors stand alone, as in main()
            sys.exit(f"FATAL {re.sub(r'^seqgen[.][a-z_.]*errors[.][A-Za-z]+: ', '', last)}")
        sys.exit(f"FATAL flags error: {text}")
    except (AttributeError, KeyError) as e:
        text = str(e)
        try:  # ml_collections wraps the message in a repr'd string
            text = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            pass
        text = " ".join(text.split())
        key = re.match(r"'(\w+)'", text)
        culprit = [a for a in argv if key and a.startswith("--config.")
                   and key.group(1) in a]
        where = culprit[0].split("=")[0] if culprit else "a --config.* override"
        sys.exit(f"FATAL unknown config field in {where}: {text}; see the fields "
                 "in the config file (seqgen/config/common.py, text.py, handwriting.py "
                 "and tasks.py document them)")


if __name__ == "__main__":
    preamble.run(main, RULES, parse=parse_flags)
