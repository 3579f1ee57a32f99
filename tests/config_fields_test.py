"""Every field a module documents can be set from the command line.

A locked config accepts `--config.data.level=byte` only if `level` is in the
config, so a field that a data module documents (its "data_config fields"
block, or a `data_config.<name>` it tells the user to set) but that the
config files lack cannot be overridden. This walks every shipped config's
`get_config()` for every variant it lists and checks that the fields its
kind's data modules document are there. The documentation is read from the
modules' text, independently of the config files.
"""

import ast
import pathlib
import re

import pytest

from seqgen.command.errors import ConfigError
from seqgen.config import files as config_files

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "seqgen" / "data"
# The data modules each kind reads its data_config through.
FAMILIES = {
    "text": [*sorted((DATA / "text").glob("*.py")), DATA / "prepare.py"],
    "handwriting": [DATA / "handwriting.py", DATA / "drawn.py", DATA / "iam_ondb.py",
                    DATA / "prepare.py"],
}
FAMILIES["synthesis"] = FAMILIES["recognition"] = FAMILIES["handwriting"]
CONFIG_METHODS = {"get", "keys", "items", "values", "lock", "unlock", "to_dict"}


def documented_fields(path: pathlib.Path, kind: str) -> set[str]:
    """Field names from the docstring's 'data_config fields' blocks (a block
    about synthesis only counts for synthesis) and every data_config.<name>."""
    source = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    names: set[str] = set()
    for block in re.finditer(r"^data_config fields[^\n]*:\n((?:[ \t]+\S[^\n]*\n?)+)", doc, re.M):
        header = doc[block.start():doc.index("\n", block.start())]
        if "synthesis" in header and kind != "synthesis":
            continue
        for line in block.group(1).splitlines():
            m = re.match(r"^  (\w+(?:, \w+)*)(?::|\s{2,}|$)", line)
            if m:
                names |= set(m.group(1).split(", "))
    names |= set(re.findall(r"\bdata_config\.(\w+)", source)) - CONFIG_METHODS
    return names


def variants(module) -> list[str | None]:
    """None and each item the config's one-line 'use ...' message lists."""
    with pytest.raises(ConfigError) as e:
        module.get_config("no_such_variant_xyz")
    listed = str(e.value).rsplit("; use ", 1)[1]
    out: list[str | None] = [None]
    for item in listed.split(", "):
        if "=<" in item:
            continue  # name=<type> needs a value; its default is the None row
        out += item.split("|")
    return out


CONFIGS = [n for n in config_files.shipped() if not n.startswith("tasks/")]


def test_the_docs_are_read():
    # The parser finds what the modules are known to document.
    text = set().union(*(documented_fields(p, "text") for p in FAMILIES["text"]))
    assert {"level", "path", "valid_fraction", "test_fraction", "dataset", "split",
            "data_dir", "manual_dir"} <= text
    hw = set().union(*(documented_fields(p, "handwriting") for p in FAMILIES["handwriting"]))
    assert {"cleaning", "max_jump", "fonts", "num_train", "max_points", "bucket"} <= hw
    assert "char_bucket" not in hw
    assert "char_bucket" in documented_fields(DATA / "handwriting.py", "synthesis")


@pytest.mark.parametrize("name", CONFIGS)
def test_every_documented_data_field_is_in_every_variant(name):
    module = config_files.load_module(name, f"fields_{name.replace('/', '_')}")
    for arg in variants(module):
        c = module.get_config(arg)
        wanted = set().union(*(documented_fields(p, c.kind) for p in FAMILIES[c.kind]))
        missing = sorted(wanted - set(c.data.keys()))
        assert not missing, f"{name}:{arg} lacks data fields {missing}"


def test_data_level_byte_from_the_command_line(tmp_path):
    # The example, through the real flag parser.
    import subprocess
    import sys
    text = tmp_path / "t.txt"
    text.write_bytes(bytes(range(256)) * 40)
    proc = subprocess.run(
        [sys.executable, "-c", "from absl import flags; from seqgen import main; "
         "import sys; flags.FLAGS(sys.argv); c = flags.FLAGS.config; "
         "print(c.data.level, c.data.dataset)",
         "--config=configs/default.py:smoke", "--workdir=/tmp/x", "--config.data.level=byte",
         "--config.data.dataset=text_file", f"--config.data.path={text}"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["byte", "text_file"]
