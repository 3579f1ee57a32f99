"""Configs: one variant grammar for every config file (seqgen/config/variants.py),
and the field bases (common, text, handwriting) that add fields, never delete."""

import ast
import importlib.util
import pathlib
import subprocess
import sys

import pytest

from seqgen.command.errors import ConfigError
from seqgen.config import common as common_config
from seqgen.config import handwriting as handwriting_config
from seqgen.config import text as text_config
from seqgen.config.variants import accepted, parse_arg

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = sorted([*ROOT.glob("seqgen/configs/*.py"), *ROOT.glob("seqgen/configs/tasks/*.py")])
P = "configs/x.py"


def load(path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(f"config_test_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# The parser.
# ---------------------------------------------------------------------------

def test_defaults_when_nothing_follows_the_colon():
    for arg in (None, "", " , "):
        v = parse_arg(arg, P, T=100, lr=0.5, p=int, shape=("3x2", "4x1"), smoke=False)
        assert v.to_dict() == {"T": 100, "lr": 0.5, "p": None, "shape": "3x2",
                               "smoke": False}


def test_bare_names_are_booleans_and_values_take_the_defaults_type():
    v = parse_arg("smoke, T=500,lr=1", P, T=100, lr=0.5, bptt=False, smoke=False,
                  pattern="01")
    assert (v.smoke, v.bptt) == (True, False)
    assert v.T == 500 and type(v.T) is int
    assert v.lr == 1.0 and type(v.lr) is float
    assert v.pattern == "01"
    assert parse_arg("pattern=0001", P, pattern="01").pattern == "0001"
    assert parse_arg("smoke=false", P, smoke=False).smoke is False
    assert parse_arg("smoke=True", P, smoke=False).smoke is True
    # A type instead of a default: None unless given (a default that
    # depends on other variants, e.g. long_lag_noise's p = q).
    assert parse_arg("p=7", P, p=int).p == 7


def test_choices_need_not_be_identifiers_and_exclude_each_other():
    spec = dict(lr=0.5, shape=("3x2", "4x1", "6x2"), bptt=False)
    assert parse_arg("6x2,bptt", P, **spec).shape == "6x2"
    assert parse_arg("shape=4x1", P, **spec).shape == "4x1"
    assert parse_arg("4x1,4x1", P, **spec).shape == "4x1"  # the same twice is fine
    with pytest.raises(ConfigError, match=r"variants '4x1' and '6x2' of configs/x.py "
                                          r"exclude each other; use lr=<float>, "
                                          r"3x2\|4x1\|6x2, bptt$"):
        parse_arg("4x1,6x2", P, **spec)
    with pytest.raises(ConfigError, match="shape takes one of 3x2, 4x1, 6x2"):
        parse_arg("shape=5x5", P, **spec)
    assert parse_arg("6b", P, variant=("6a", "6b")).variant == "6b"


def test_unknown_variant_is_one_line_listing_what_the_config_accepts():
    with pytest.raises(ConfigError) as e:
        parse_arg("T=500,smok", "configs/tasks/adding.py", T=100, lr=0.5, bptt=False,
                  smoke=False)
    assert str(e.value) == ("unknown variant 'smok' of configs/tasks/adding.py; "
                            "use T=<int>, lr=<float>, bptt, smoke")
    assert isinstance(e.value, ValueError)  # callers that expect one keep working


@pytest.mark.parametrize("arg, needle", [
    ("T=abc", "variant 'T=abc' of configs/x.py: T takes an int; use T=<int>, smoke"),
    ("T=5.5", "T takes an int"),
    ("T", "variant 'T' of configs/x.py needs a value; use T=<int>, smoke"),
    ("smoke=1", "smoke takes true or false"),
    ("T=1,T=2", "variants 'T=1' and 'T=2' of configs/x.py exclude each other"),
])
def test_wrong_values_are_one_line(arg, needle):
    with pytest.raises(ConfigError) as e:
        parse_arg(arg, P, T=100, smoke=False)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_a_bad_spec_is_the_config_authors_error():
    with pytest.raises(TypeError):
        parse_arg(None, P, shape=("smoke", "x"), smoke=False)  # a choice named like a flag
    with pytest.raises(TypeError):
        parse_arg(None, P, bad=[1, 2])
    assert accepted(dict(q=100, p=int, x=("a", "b"), s=False)) == "q=<int>, p=<int>, a|b, s"


# ---------------------------------------------------------------------------
# Every config file uses it.
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_config_speaks_the_one_grammar(path):
    module = load(path)
    name = path.relative_to(ROOT / "seqgen").as_posix()
    with pytest.raises(ConfigError, match=rf"^unknown variant 'smok' of {name}; use .*smoke"):
        module.get_config("smok")
    assert module.get_config("smoke").to_dict() == module.get_config("smoke,").to_dict()


def test_regularised_text_variants():
    ptb = load(ROOT / "seqgen" / "configs" / "ptb_char.py")
    wn = ptb.get_config("weight_noise")
    assert (wn.regularise.name, wn.init_from) == ("weight_noise", "/tmp/seqgen/ptb_char")
    for arg in ("adaptive_noise,smoke", "smoke,adaptive_noise"):
        c = ptb.get_config(arg)
        assert (c.regularise.name, c.init_from, c.num_steps) == ("adaptive_noise", "", 20)
    assert ptb.get_config(None).regularise.name == "none"
    with pytest.raises(ConfigError, match="exclude each other"):
        ptb.get_config("weight_noise,adaptive_noise")
    default = load(ROOT / "seqgen" / "configs" / "default.py")
    c = default.get_config("weight_noise")
    assert (c.num_steps, c.init_from) == (800, "/tmp/seqgen/default")
    assert default.get_config("sweep").num_steps == 400


def test_task_variants():
    tasks = ROOT / "seqgen" / "configs" / "tasks"
    reber = load(tasks / "reber.py")
    c = reber.get_config("6x2,bptt,lr=0.1")
    assert (c.lstm1997.num_blocks, c.lstm1997.truncate, c.lstm1997.learning_rate) == \
        (6, False, 0.1)
    assert reber.get_config("4x1").lstm1997.block_size == 1
    order = load(tasks / "temporal_order.py")
    assert order.get_config("6b").task.variant == "6b"
    assert order.get_config("6b").lstm1997.learning_rate == 0.1
    assert order.get_config("6b,lr=0.3").lstm1997.learning_rate == 0.3
    noise = load(tasks / "long_lag_noise.py")
    assert (noise.get_config("q=50").task.p, noise.get_config("q=1000,p=50").task.p) == (50, 50)
    periodic = load(tasks / "periodic.py")
    c = periodic.get_config("pattern=01")
    assert (c.task.pattern, c.lstm1997.learning_rate, c.rnn.learning_rate) == ("01", 0.05, 0.1)
    assert load(tasks / "multiplication.py").get_config("nseq=13").criterion.max_wrong == 12


def test_the_command_line_shows_the_message_as_one_fatal_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "seqgen.main", "--config=configs/enwik8.py:smok",
                           f"--workdir={tmp_path}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == \
        "FATAL unknown variant 'smok' of configs/enwik8.py; use smoke"


# ---------------------------------------------------------------------------
# The field bases: each kind adds to the common one, nothing is deleted.
# ---------------------------------------------------------------------------

def _fields(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        out |= _fields(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
    return out


def test_each_kind_adds_to_the_common_base():
    common = _fields(common_config.base().to_dict())
    text = _fields(text_config.base().to_dict())
    handwriting = _fields(handwriting_config.base().to_dict())
    synthesis = _fields(handwriting_config.synthesis_base().to_dict())
    lines = _fields(handwriting_config.lines_base().to_dict())
    recognition = _fields(handwriting_config.recognition_base().to_dict())
    assert common < text and common < lines < handwriting < synthesis
    assert lines < recognition and "model.num_mixtures" not in recognition
    assert {"seq_len", "sample.prime", "sample.temperature", "data.reset_every"} <= text
    assert not {"seq_len", "sample.prime", "sample.temperature"} & handwriting
    assert {"model.num_mixtures", "sample.bias", "data.max_points"} <= handwriting - text
    assert [base().kind for base in (text_config.base, handwriting_config.base,
                                     handwriting_config.synthesis_base,
                                     handwriting_config.recognition_base)] == \
        ["text", "handwriting", "synthesis", "recognition"]


def test_no_field_is_deleted():
    for path in [ROOT / "seqgen" / "config" / f for f in ("common.py", "text.py",
                                                          "handwriting.py")]:
        tree = ast.parse(path.read_text())
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Delete)], path
