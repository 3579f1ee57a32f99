"""Every flag of every command is checked: a bad value ends in one line that
names the flag, the value and what to use, before any work (or traceback).

Three layers: (1) each command's RULES covers exactly the flags its source
defines (read from the source, not from RULES); (2) a table gives at least
one bad value for every checked flag and the words its message must hold;
(3) each command, run for real, turns a bad flag, a type error or a missing
required flag into a single FATAL line on stderr.
"""

import ast
import importlib
import pathlib
import re
import subprocess
import sys

import pytest

from seqgen.command import flag_checks as fc
from seqgen.command.errors import UserError

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMANDS = ["seqgen.main", "seqgen.sample", "seqgen.write", "seqgen.evaluate",
            "seqgen.read", "seqgen.legibility", "seqgen.pretrained.export",
            "seqgen.pretrained.check", "seqgen.legibility_curve", "seqgen.serve",
            "seqgen.tasks.report", "launch.slurm", "launch.tpu", "launch.sweep",
            "tools.crash_drill", "tools.style_sheet", "tools.screenshots", "tools.writer_page",
            "tools.prepare_text", "tools.fetch_hands", "tools.trace_fonts", "tools.cer_trend",
            "benchmarks.gemm", "benchmarks.pipeline",
            "benchmarks.recipe", "benchmarks.routes", "benchmarks.sampling", "benchmarks.serve",
            "benchmarks.suite", "benchmarks.throughput", "benchmarks.wait", "benchmarks.memory"]


def defined_flags(module: str) -> set[str]:
    """Flag names the module's source defines (absl DEFINE_*, argparse add_argument)."""
    path = ROOT / (module.replace(".", "/") + ".py")
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.attr.startswith("DEFINE_") and args:
            names.add(args[0])
        elif node.func.attr == "add_argument" and args:
            dest = [k.value.value for k in node.keywords if k.arg == "dest"]
            names.add(dest[0] if dest else args[0].lstrip("-").replace("-", "_"))
    if module != "launch.slurm" and "add_resource_flags(parser" in path.read_text():
        names |= defined_flags("launch.slurm") - {"config", "workdir", "job_name", "dry_run"}
    return names


@pytest.mark.parametrize("module", COMMANDS)
def test_rules_cover_exactly_the_defined_flags(module):
    rules = importlib.import_module(module).RULES
    assert set(rules) == defined_flags(module)


# module, flag, bad value, words the message holds
BAD = [
    ("seqgen.main", "workdir", "", "give a workdir"),
    ("seqgen.main", "coordinator_address", "localhost", "host:port"),
    ("seqgen.main", "coordinator_address", "h:99999", "host:port"),
    ("seqgen.main", "num_processes", -1, "[0, 1000000]"),
    ("seqgen.main", "process_id", -2, "-1 = auto-detect"),
    ("seqgen.main", "jax_cache_dir", "{file}/cache", "is a file"),
    ("seqgen.sample", "workdir", "", "workdir of a training run"),
    ("seqgen.sample", "workdir", "/nonexistent/run", "no such directory"),
    ("seqgen.sample", "workdir", "{file}", "is a file"),
    ("seqgen.sample", "workdir", "{empty}", "holds no checkpoints/"),
    ("seqgen.sample", "step", -1, ">= 0"),
    ("seqgen.sample", "num", 0, "[1, 4096]"),
    ("seqgen.sample", "length", -5, "[1, 1000000]"),
    ("seqgen.sample", "length", 0, "symbols or points"),
    ("seqgen.sample", "seed", -1, ">= 0"),
    ("seqgen.sample", "temperature", -0.5, "0 = greedy"),
    ("seqgen.sample", "temperature", float("nan"), "0 = greedy"),
    ("seqgen.sample", "bias", -1.0, "sampling bias"),
    ("seqgen.sample", "out", "{empty}", "is a directory"),
    ("seqgen.sample", "out", "{file}/x.svg", "is a file"),
    ("seqgen.serve", "workdir", ["/nonexistent/run"], "no such directory"),
    ("seqgen.serve", "host", "", "an address to listen on"),
    ("seqgen.serve", "port", 0, "a TCP port"),
    ("seqgen.serve", "port", 70000, "[1, 65535]"),
    ("seqgen.serve", "jax_cache_dir", "{file}/cache", "is a file"),
    ("seqgen.read", "workdir", "/nonexistent/run", "no such directory"),
    ("seqgen.read", "strokes", [], "name one or more ink files"),
    ("seqgen.read", "fit", "sometimes", "auto, always, never"),
    ("seqgen.read", "step", -1, ">= 0"),
    ("seqgen.legibility", "recogniser", "", "workdir of a training run"),
    ("seqgen.legibility", "num", 0, "texts per cell"),
    ("seqgen.legibility", "reader", "/nonexistent/run", "no such directory"),
    ("seqgen.legibility", "workdir", "{empty}", "holds no checkpoints/"),
    ("seqgen.legibility", "calibration_lines", -1, "no calibration"),
    ("seqgen.legibility", "biases", ["-1"], "biases in [0, 10.0]"),
    ("seqgen.legibility", "biases", ["x"], "biases in [0, 10.0]"),
    ("seqgen.legibility", "biases", [], "biases in [0, 10.0]"),
    ("seqgen.legibility", "biases", ["1", "10.5"], "biases in [0, 10.0]"),
    ("seqgen.legibility", "styles", ["-2"], "line indices"),
    ("seqgen.legibility", "seed", -1, ">= 0"),
    ("seqgen.legibility", "out", "", "give a file name"),
    ("seqgen.write", "workdir", "/nonexistent/run", "no such directory"),
    ("seqgen.write", "text", "", "the text to write"),
    ("seqgen.write", "text", "   ", "the text to write"),
    ("seqgen.write", "bias", -0.1, "sampling bias"),
    ("seqgen.write", "bias", float("inf"), "sampling bias"),
    ("seqgen.write", "bias", 10.5, "[0.0, 10.0]"),
    ("seqgen.write", "style", "", "a style's name or number"),
    ("seqgen.write", "style_file", "/nonexistent/mine.json", "no such file"),
    ("seqgen.write", "format", "pdf", "npz, json, npy"),
    ("seqgen.write", "stroke_width", 0.0, "SVG units"),
    ("seqgen.write", "line_height", 0.0, "SVG units"),
    ("seqgen.write", "color", "", "colour name"),
    ("seqgen.pretrained.export", "workdir", "/nonexistent/run", "no such directory"),
    ("seqgen.legibility_curve", "workdir", "/nonexistent/run", "no such directory"),
    ("seqgen.legibility_curve", "recogniser", "{empty}", "holds no checkpoints/"),
    ("seqgen.legibility_curve", "num", 0, "texts per checkpoint"),
    ("seqgen.legibility_curve", "bias", -1.0, "sampling bias"),
    ("seqgen.legibility_curve", "steps", ["10", "x"], "comma-separated checkpoint steps"),
    ("seqgen.legibility_curve", "seed", -1, ">= 0"),
    ("seqgen.legibility_curve", "out", "", "give a file name"),
    ("seqgen.pretrained.export", "name", "", "the model's name"),
    ("seqgen.pretrained.export", "dest", "{file}", "is a file"),
    ("seqgen.pretrained.export", "step", -1, ">= 0"),
    ("seqgen.pretrained.export", "styles", -1, "validation writers"),
    ("seqgen.write", "style_font", "comic_sans", "hershey_script"),
    ("seqgen.write", "out", "", "give a file name"),
    ("seqgen.write", "wrap", 0, "characters per written line"),
    ("seqgen.write", "seed", -3, ">= 0"),
    ("seqgen.write", "step", -1, ">= 0"),
    ("seqgen.write", "tries", 0, "rounds of writing"),
    ("seqgen.write", "reader", "/nonexistent/run", "no such directory"),
    ("seqgen.evaluate", "workdir", "{file}", "is a file"),
    ("seqgen.evaluate", "split", "dev", "train, valid, test"),
    ("seqgen.evaluate", "method", "adam", "sgd"),
    ("seqgen.evaluate", "lr", 0.0, "step size"),
    ("seqgen.evaluate", "lr", -1e-3, "step size"),
    ("seqgen.evaluate", "decay", 2.0, "[0.0, 1.0]"),
    ("seqgen.evaluate", "ms_batches", 0, "mean squares"),
    ("seqgen.evaluate", "batch_size", 0, "streams"),
    ("seqgen.evaluate", "step", -1, ">= 0"),
    ("seqgen.evaluate", "out", "report.txt", ".json"),
    ("seqgen.tasks.report", "trials", 0, "trials per task"),
    ("seqgen.tasks.report", "workers", 0, "one per core"),
    ("seqgen.tasks.report", "out", "{file}", "is a file"),
    ("seqgen.tasks.report", "only", ["adding", "addding"], "'addding' is unknown"),
    ("seqgen.tasks.report", "seed", -1, ">= 0"),
    ("launch.slurm", "config", "configs/nope.py", "names no shipped config"),
    ("launch.slurm", "workdir", "", "all nodes share"),
    ("launch.slurm", "job_name", "my job", "letters, digits"),
    ("launch.slurm", "nodes", 0, "nodes of the job"),
    ("launch.slurm", "gpus_per_node", -1, "CPU nodes"),
    ("launch.slurm", "tasks_per_node", -1, "one per GPU"),
    ("launch.slurm", "cpus_per_task", 0, "cores per process"),
    ("launch.slurm", "mem", "lots", "64G"),
    ("launch.slurm", "time", "", "wall-time"),
    ("launch.slurm", "signal_seconds", 5, "save a checkpoint"),
    ("launch.slurm", "sbatch", ["exclusive"], "--sbatch=--exclusive"),
    ("launch.tpu", "name", "My_VM", "GCE name"),
    ("launch.tpu", "zone", "us central", "us-central2-b"),
    ("launch.tpu", "accelerator", "a100", "v4-8"),
    ("launch.tpu", "version", "", "software version"),
    ("launch.tpu", "config", "", "shipped config"),
    ("launch.tpu", "workdir", " ", "all workers share"),
    ("launch.tpu", "bucket", "gs://b", "without gs://"),
    ("launch.sweep", "config", "configs/nope.py:sweep", "names no shipped config"),
    ("launch.sweep", "workdir", "{file}", "is a file"),
    ("launch.sweep", "parallel", 0, "points run at a time"),
    ("launch.sweep", "pin", "all", "auto, none"),
    ("launch.sweep", "max_parallel", -1, "0 = no limit"),
    ("launch.sweep", "job_name", "a/b", "letters, digits"),
    ("launch.sweep", "nodes", 0, "nodes of the job"),
    ("tools.crash_drill", "kills", 0, "times the run is killed"),
    ("tools.style_sheet", "workdir", "/nonexistent/run", "no such directory"),
    ("tools.screenshots", "out_dir", "{file}", "is a file"),
    ("tools.screenshots", "text", "", "the text to write"),
    ("tools.screenshots", "chromium", "/nonexistent/chromium", "no such file"),
    ("tools.style_sheet", "recogniser", "/nonexistent/run", "no such directory"),
    ("tools.style_sheet", "styles", [], "give styles by name or number"),
    ("tools.style_sheet", "text", "", "the text every style writes"),
    ("tools.style_sheet", "bias", -1.0, "sampling bias"),
    ("tools.style_sheet", "seed", -1, ">= 0"),
    ("tools.style_sheet", "out", "", "give a file name"),
    ("tools.crash_drill", "seed", -1, ">= 0"),
    ("tools.writer_page", "text_file", "/nonexistent/page.txt", "no such file"),
    ("tools.writer_page", "seed", -1, ">= 0"),
    ("tools.writer_page", "grader", "gpt", "is unknown"),
    ("tools.writer_page", "out", "{empty}", "is a directory"),
    ("tools.prepare_text", "source", "moby", "is unknown"),
    ("tools.prepare_text", "out", "{empty}", "is a directory"),
    ("tools.fetch_hands", "out_dir", "{file}", "is a file"),
    ("tools.fetch_hands", "download_dir", "{file}", "is a file"),
    ("tools.trace_fonts", "fonts_dir", "{empty}", "holds no catalogue.json"),
    ("tools.trace_fonts", "out_dir", "{file}", "is a file"),
    ("tools.trace_fonts", "sheets", "{file}", "is a file"),
    ("tools.cer_trend", "last", 0, ">= 1"),
    ("tools.crash_drill", "workdir", "{file}", "is a file"),
    ("benchmarks.gemm", "size", 0, "square GEMM"),
    ("benchmarks.gemm", "repeats", 0, "[1, 100000]"),
    ("benchmarks.gemm", "threads", -1, "defaults"),
    ("benchmarks.gemm", "json_out", "{empty}", "is a directory"),
    ("benchmarks.pipeline", "bytes", 10, "bytes of generated text"),
    ("benchmarks.pipeline", "batch", 0, "[1, 65536]"),
    ("benchmarks.pipeline", "seq", 0, "[1, 1000000]"),
    ("benchmarks.pipeline", "batches", 0, "[1, 1000000000]"),
    ("benchmarks.pipeline", "workdir", "{file}", "is a file"),
    ("benchmarks.pipeline", "json_out", "out.csv", ".json"),
    ("benchmarks.recipe", "text", "/nonexistent.txt", "no such file"),
    ("benchmarks.recipe", "minutes", 0.0, "training minutes"),
    ("benchmarks.recipe", "threads", 5000, "defaults"),
    ("benchmarks.recipe", "json_out", "x.txt", ".json"),
    ("benchmarks.routes", "routes", "backward=magic", "backward=fused|autodiff"),
    ("benchmarks.routes", "routes", "", "key=value"),
    ("benchmarks.routes", "layers", 0, "[1, 1000]"),
    ("benchmarks.routes", "hidden", 0, "[1, 100000]"),
    ("benchmarks.routes", "batch", 0, "[1, 65536]"),
    ("benchmarks.routes", "seq", 0, "[1, 1000000]"),
    ("benchmarks.routes", "threads", -1, "defaults"),
    ("benchmarks.routes", "repeats", 0, "[1, 100000]"),
    ("benchmarks.routes", "json_out", "a", ".json"),
    ("benchmarks.sampling", "layers", 0, "[1, 1000]"),
    ("benchmarks.sampling", "hidden", 0, "[1, 100000]"),
    ("benchmarks.sampling", "vocab", 1, "[2, 10000000]"),
    ("benchmarks.sampling", "length", 0, "[1, 10000000]"),
    ("benchmarks.sampling", "batches", "1,,64", "comma-separated integers"),
    ("benchmarks.sampling", "batches", "0", "comma-separated integers"),
    ("benchmarks.sampling", "hw_batches", "1,x", "comma-separated integers"),
    ("benchmarks.sampling", "hw_layers", 0, "[1, 1000]"),
    ("benchmarks.sampling", "hw_hidden", 0, "[1, 100000]"),
    ("benchmarks.sampling", "points", 0, "[1, 10000000]"),
    ("benchmarks.sampling", "chars", 0, "[1, 100000]"),
    ("benchmarks.sampling", "threads", -1, "defaults"),
    ("benchmarks.sampling", "repeats", 0, "[1, 100000]"),
    ("benchmarks.sampling", "json_out", "b", ".json"),
    ("benchmarks.suite", "threads", -1, "defaults"),
    ("benchmarks.suite", "out_dir", "{file}", "is a file"),
    ("benchmarks.suite", "only", "gemm,tex", "'tex' is unknown"),
    ("benchmarks.throughput", "model", "", "a kind"),
    ("benchmarks.throughput", "layers", -1, "base config"),
    ("benchmarks.throughput", "hidden", -1, "base config"),
    ("benchmarks.throughput", "batch", 0, "[1, 65536]"),
    ("benchmarks.throughput", "seq", -1, "example length"),
    ("benchmarks.throughput", "vocab", 1, "[2, 10000000]"),
    ("benchmarks.throughput", "chars", 0, "[1, 100000]"),
    ("benchmarks.serve", "workdir", "/nonexistent/run", "no such directory"),
    ("benchmarks.serve", "repeats", 0, "[1, 10000]"),
    ("benchmarks.wait", "repeats", 0, "[1, 1000]"),
    ("benchmarks.wait", "checkout", "{empty}", "seqgen/write.py"),
    ("benchmarks.wait", "json_out", "w.txt", ".json"),
    ("benchmarks.memory", "steps", 1, "[2, 100000]"),
    ("benchmarks.memory", "requests", -1, "[0, 10000]"),
    ("benchmarks.memory", "json_out", "m.txt", ".json"),
    ("benchmarks.throughput", "alphabet", 1, "[2, 100000]"),
    ("benchmarks.throughput", "matmul_dtype", "float16", "bfloat16"),
    ("benchmarks.throughput", "unroll", 0, "[1, 10000]"),
    ("benchmarks.throughput", "threads", -1, "defaults"),
    ("benchmarks.throughput", "warmup", -1, "[0, 100000]"),
    ("benchmarks.throughput", "repeats", 0, "[1, 100000]"),
    ("benchmarks.throughput", "gemm_size", 0, "[1, 65536]"),
    ("benchmarks.throughput", "json_out", "c", ".json"),
]


@pytest.fixture
def places(tmp_path):
    file = tmp_path / "a_file"
    file.write_text("x")
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    return {"{file}": str(file), "{empty}": str(empty)}


@pytest.mark.parametrize("module, flag, value, needle", BAD,
                         ids=[f"{m}--{f}={v}" for m, f, v, _ in BAD])
def test_a_bad_value_is_one_line_naming_flag_value_and_fix(module, flag, value, needle,
                                                          places):
    if isinstance(value, str):
        for key, path in places.items():
            value = value.replace(key, path)
    rules = importlib.import_module(module).RULES
    with pytest.raises(UserError) as e:
        fc.check({flag: rules[flag]}, {flag: value})
    message = str(e.value)
    assert message.startswith(f"--{flag}="), message
    assert needle in message and "\n" not in message, message


def test_one_sampling_bias_default_and_range_everywhere():
    """--bias of every command, the API's bias and the page's slider share
    one default and one range (seqgen/config/handwriting.py)."""
    from seqgen.config.handwriting import BIAS, BIAS_MAX, check_bias
    from seqgen.web import requests

    with_bias = [m for m in COMMANDS if "bias" in importlib.import_module(m).RULES]
    assert len(with_bias) >= 5, with_bias
    for module in with_bias:
        assert importlib.import_module(module).RULES["bias"] is check_bias, module
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
        assert 'DEFINE_float("bias", BIAS,' in source, module
    assert check_bias(BIAS) is None and check_bias(BIAS_MAX) is None
    assert check_bias(BIAS_MAX + 0.01) and check_bias(-0.01)
    assert requests.write({"text": "hi"}).bias == BIAS
    with pytest.raises(UserError, match="bias"):
        requests.write({"text": "hi", "bias": BIAS_MAX + 0.01})
    html = (ROOT / "seqgen" / "web" / "static" / "index.html").read_text()
    slider = re.search(r'<input id="bias" type="range" min="([\d.]+)" max="([\d.]+)" '
                       r'step="[\d.]+" value="([\d.]+)">\s*<output id="bias-out">([\d.]+)<', html)
    low, high, value, shown = map(float, slider.groups())
    assert low == 0 and high <= BIAS_MAX and value == shown == BIAS


def test_every_checked_flag_has_a_bad_value_in_the_table():
    covered = {(m, f) for m, f, _, _ in BAD}
    # A rule shared with another command (launch.sweep's SLURM resources are
    # launch.slurm's) is covered where the table tests it.
    tested = {id(importlib.import_module(m).RULES[f]) for m, f in covered}
    missing = [(m, f) for m in COMMANDS for f, rule in importlib.import_module(m).RULES.items()
               if rule is not fc.anything and (m, f) not in covered and id(rule) not in tested]
    assert not missing, missing


@pytest.mark.parametrize("module, flag, value", [
    ("seqgen.sample", "length", None), ("seqgen.sample", "out", ""),
    ("seqgen.sample", "temperature", 0.0), ("seqgen.write", "style_font", None),
    ("seqgen.write", "style_font", "ems_elfin"), ("seqgen.evaluate", "lr", None),
    ("seqgen.main", "coordinator_address", "10.0.0.1:1234"),
    ("seqgen.main", "jax_cache_dir", ""), ("launch.slurm", "mem", "0"),
    ("launch.slurm", "config", "configs/enwik8.py:smoke"),
    ("launch.tpu", "accelerator", "v5litepod-16"), ("launch.tpu", "bucket", ""),
    ("benchmarks.routes", "routes", "backward=fused,unroll=2;backward=autodiff"),
    ("benchmarks.sampling", "batches", "1,64"), ("benchmarks.suite", "only", ""),
    ("seqgen.tasks.report", "only", []), ("benchmarks.recipe", "text", ""),
])
def test_good_and_default_values_pass(module, flag, value):
    fc.check({flag: importlib.import_module(module).RULES[flag]}, {flag: value})


# -- the commands themselves ----------------------------------------------------

def run(module, *args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module, args, needle", [
    # The example: it used to end in a JAX traceback.
    ("seqgen.sample", ["--workdir={run}", "--length=-5"], "--length=-5: use a value in"),
    ("seqgen.sample", ["--model=nope"], "--model='nope' is not a shipped model"),
    ("seqgen.write", ["--text=hi", "--model=nope"], "--model='nope' is not a shipped model"),
    ("seqgen.read", ["--strokes=a.json", "--workdir={run}", "--model=recogniser"],
     "not both"),
    ("seqgen.sample", ["--workdir={run}", "--num=abc"], "flag --num=abc"),
    ("seqgen.write", ["--workdir={run}", "--text=hi", "--bias=-1"], "--bias=-1.0"),
    ("seqgen.evaluate", ["--workdir={run}", "--split=dev"],
     "--split=dev: 'dev' is unknown; use one of"),
    ("seqgen.main", ["--config=configs/default.py:smoke", "--workdir={run}",
                     "--num_processes=-3"], "--num_processes=-3"),
    ("seqgen.main", ["--config=configs/nope.py", "--workdir={run}"], "names no shipped config"),
    ("seqgen.tasks.report", ["--trials=0"], "--trials=0"),
    ("launch.slurm", ["--config=configs/enwik8.py", "--workdir=/w", "--nodes=0", "--dry-run"],
     "--nodes=0"),
    ("launch.slurm", ["--config=configs/enwik8.py", "--workdir=/w", "--nodes=x"],
     "invalid int value: 'x'"),
    ("launch.tpu", ["--name=vm", "--zone=", "--config=configs/enwik8.py",
                    "--workdir=/w", "--dry-run"], "--zone=: use a zone"),
    ("launch.sweep", ["--config=configs/default.py:sweep", "--local", "--parallel=0"],
     "--parallel=0"),
    ("launch.sweep", ["--config=configs/default.py:sweep"], "one of the arguments"),
    ("seqgen.serve", ["--port=0"], "--port=0"),
    ("seqgen.serve", ["--workdir=/nonexistent/run"], "no such directory"),
    ("tools.crash_drill", ["--kills=0"], "--kills=0"),
    ("benchmarks.throughput", ["--batch=0"], "--batch=0"),
    ("benchmarks.suite", ["--only=gemm,nope"], "'nope' is unknown"),
])
def test_each_command_prints_one_fatal_line(module, args, needle, tmp_path):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)  # passes the workdir check
    args = [a.replace("{run}", str(tmp_path / "run")) for a in args]
    proc = run(module, *args)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("FATAL "), proc.stderr[-3000:]
    assert needle in lines[0], lines[0]
