"""The repository keeps its promises: CI runs the README's test command
verbatim, and every config loads, has a smoke variant and documents itself."""

import importlib.util
import pathlib
import re

import pytest

from seqgen.config import checks as config_checks

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "seqgen" / "configs").glob("*.py"))


def readme_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", quick, re.S)


def test_quickstart_commands_and_ci_runs_the_test_commands_verbatim():
    train_cmd, write_cmds, test_cmd, slow_cmd, peers_cmd = readme_commands()
    assert "python -m seqgen.main --config=configs/default.py --workdir=" in train_cmd
    # Handwriting needs no training: the shipped writer (seqgen/pretrained).
    assert "python -m seqgen.write" in write_cmds and "--workdir" not in write_cmds
    assert "-m slow" in slow_cmd and "-m slow" not in test_cmd
    assert "-m peers" in peers_cmd and "[bench]" in peers_cmd and "-m peers" not in test_cmd
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_cmd in ci_lines and slow_cmd in ci_lines and peers_cmd in ci_lines
    # CI runs the peers only where torch installs, and goes on where it does not.
    ci = (ROOT / ".ci" / "run").read_text()
    assert "if pip install -q torch==" in ci and "could not install torch" in ci


def test_default_run_deselects_slow_and_peers_and_each_command_selects_only_its_own():
    """Each mark's tests run under exactly one command: the default run skips
    neither kind (a deselected test is not a skip), `-m slow` takes no peers
    test (it would skip where torch is missing) and `-m peers` no slow one."""
    import tomllib
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow and not peers'" in opts["addopts"]
    assert {m.split(":")[0] for m in opts["markers"]} == {"slow", "peers"}
    marked = {"slow": set(), "peers": set()}
    for path in sorted((ROOT / "tests").glob("*_test.py")):
        text = path.read_text()
        for mark in marked:
            if re.search(rf"pytest\.mark\.{mark}\b", text):
                marked[mark].add(path.name)
        # torch is not in the test extra: a module that needs it must be all
        # peers, and must not importorskip it at the top (a module skipped
        # while collected is reported skipped, deselected or not).
        if re.search(r"^\s*import torch\b", text, re.M):
            assert re.search(r"^pytestmark = \[pytest\.mark\.peers\b", text, re.M), path.name
        assert not re.search(r"^\w+ = pytest\.importorskip\(.torch.\)", text, re.M), path.name
    assert marked["peers"] and marked["slow"]
    assert not marked["slow"] & marked["peers"], marked["slow"] & marked["peers"]


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_loads_validates_and_documents_itself(path):
    module = load(path)
    doc = module.__doc__ or ""
    assert f"--config=configs/{path.name}" in doc, "launch command in the docstring"
    for arg in (None, "smoke"):
        config = module.get_config(arg)
        config_checks.validate(config)
    smoke = module.get_config("smoke")
    assert smoke.num_steps <= 50 and smoke.model.hidden <= 64
    with pytest.raises(ValueError, match=path.name):
        module.get_config("no-such-variant")
    points = []
    module.sweep(lambda **kw: points.append(kw))
    for point in points:  # every ablation names real fields
        config = module.get_config(None)
        for dotted, value in point.items():
            node = config
            *parents, leaf = dotted.split(".")
            for p in parents:
                node = node[p]
            assert leaf in node, dotted
            node[leaf] = value


def test_nothing_loads_pickles():
    # Checkpoints are orbax (tensorstore + JSON), data is array_record/numpy
    # arrays: no code path may unpickle a file someone else wrote.
    unsafe = re.compile(r"\bimport (c?pickle|dill|shelve|marshal|joblib)\b|allow_pickle\s*=\s*True"
                        r"|\btorch\.load\((?![^)]*weights_only\s*=\s*True)")
    offenders = [f"{p.relative_to(ROOT)}:{i}" for folder in ("seqgen", "launch", "benchmarks",
                                                            "tools")
                 for p in (ROOT / folder).rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if unsafe.search(line)]
    assert not offenders, offenders
    assert unsafe.search("import pickle") and unsafe.search("np.load(f, allow_pickle=True)")


def test_every_command_the_docs_name_is_a_command_module_or_a_verb():
    """Each `python -m <module>` and `seqgen <verb>` in the README and docs/
    names a module that exists and runs as a command (a __main__ block),
    or a verb of seqgen/cli.py: a moved or renamed module fails here, not
    in a user's terminal."""
    import ast

    from seqgen import cli

    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    modules, verbs = set(), set()
    for path in texts:
        text = path.read_text()
        modules |= set(re.findall(r"python -m ((?:seqgen|tools|benchmarks|launch)(?:\.\w+)+)",
                                  text))
        code = re.findall(r"```.*?```|`[^`\n]+`", text, re.S)  # fenced blocks, inline code
        code = [re.sub(r"#.*", "", c) for c in code]  # not the comments
        verbs |= {v for c in code for v in re.findall(r"(?:^|[`\s])seqgen ([a-z]+)\b", c, re.M)}
    assert {"seqgen.main", "seqgen.write", "seqgen.serve"} <= modules, modules
    for module in sorted(modules):
        path = ROOT / (module.replace(".", "/") + ".py")
        assert path.is_file(), f"{module}: no {path.relative_to(ROOT)}"
        body = ast.parse(path.read_text()).body
        assert any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in body), \
            f"{module} has no __main__ block"
    assert verbs, "the docs show no seqgen <verb>"
    unknown = verbs - set(cli.VERBS) - {"configs"}
    assert not unknown, f"verbs the docs use that seqgen/cli.py lacks: {unknown}"
