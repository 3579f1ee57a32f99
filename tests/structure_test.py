"""The shape of the package: the top of seqgen/ holds only the doors (the
commands) and the life of a run, every other module lives in a folder named
for its role, no library module imports a command, no import cycles, no
oversized modules, and no branch on a kind or dataset name outside the kind
and dataset modules and their registries (kinds are found by module name,
datasets by registry).

The import graph is read from the source (every `import` statement,
function-level ones included), not from what a run happens to import.
"""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "seqgen"
MAX_LINES = 450

# Kind and dataset names, and the places allowed to branch on them: the
# modules that are those kinds and datasets, and the registries.
NAMES = ("text", "handwriting", "synthesis", "recognition", "task", "drawn", "iam_ondb",
         "enwik8", "shakespeare", "ptb_char", "ptb_word", "text_file", "prediction")
ALLOWED = ("seqgen/kinds/", "seqgen/data/text/", "seqgen/data/drawn.py",
           "seqgen/data/iam_ondb", "seqgen/data/handwriting.py", "seqgen/data/registry.py",
           "benchmarks/flops.py")  # flops.FORWARD: a registry keyed by kind


# The life of a run: what train.py's train_and_evaluate runs, top to bottom.
# Everything else at the top of seqgen/ is a door (a command).
RUN_LIFE = {"train", "steps", "eval_loops", "optim", "checkpoint", "parallel", "regularise",
            "metrics_log"}


def _is_door(path: Path) -> bool:
    """A command: a module run as `python -m`, so it has a top-level
    `if __name__ == "__main__":` statement."""
    return any(isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
               and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"
               for node in ast.parse(path.read_text(encoding="utf-8")).body)


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """seqgen modules that `path` imports (a package's submodule, not the
    package, when `from package import submodule`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            subs = {f"{base}.{a.name}" for a in node.names} & known
            out |= subs or {base}
    return {m for m in out if m in known and m != name}


def test_no_circular_imports():
    modules = _modules()
    graph = {m: _imports(p, m, set(modules)) for m, p in modules.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append(path[path.index(n):] + [n] if n in path else [m, n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_a_cycle(tmp_path):
    # The walker must report what it is there to catch.
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from seqgen import b\n")
    b.write_text("import seqgen.a\n")
    assert _imports(a, "seqgen.a", {"seqgen.a", "seqgen.b"}) == {"seqgen.b"}
    assert _imports(b, "seqgen.b", {"seqgen.a", "seqgen.b"}) == {"seqgen.a"}


def test_no_module_over_450_lines():
    long = {str(p.relative_to(REPO)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


_NAME = "|".join(NAMES)
_BRANCH = re.compile(rf"""(==|!=|\bin\b)\s*\(?\s*["']({_NAME})["']|["']({_NAME})["']\s*(==|!=)""")


def test_no_branch_on_a_kind_or_dataset_name_outside_their_modules():
    found = []
    for folder in ("seqgen", "benchmarks", "launch", "tools"):
        for p in (REPO / folder).rglob("*.py"):
            rel = str(p.relative_to(REPO))
            if rel.startswith(ALLOWED):
                continue
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#")[0].strip()
                if _BRANCH.search(code) and not code.startswith("for "):  # loops are not branches
                    found.append(f"{rel}:{i}: {line.strip()}")
    assert not found, "branches on a kind or dataset name:\n" + "\n".join(found)


def test_the_branch_check_sees_a_branch():
    assert _BRANCH.search('if config.kind == "synthesis":')
    assert _BRANCH.search("elif dataset in ('enwik8', 'x'):")
    assert not _BRANCH.search('c.kind = "text"  # the kind')


def test_the_top_holds_only_doors_and_the_life_of_a_run():
    top = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    stray = sorted(m for m, p in top.items() if m not in RUN_LIFE and not _is_door(p))
    assert not stray, (f"{stray} at the top of seqgen/ are neither commands nor the life "
                       "of a run: move each into the folder of its role")
    assert not {m for m in RUN_LIFE if m in top and _is_door(top[m])}, "a run module is a door"
    assert RUN_LIFE <= set(top), RUN_LIFE - set(top)


def test_no_library_module_imports_a_command():
    """Commands hold flags and orchestration: what anything else needs from
    one belongs in a library module below it."""
    modules = _modules()
    doors = {m for m, p in modules.items() if _is_door(p)}
    assert {"seqgen.main", "seqgen.write", "seqgen.serve", "seqgen.tasks.report"} <= doors
    arrows = [f"{m} -> {d}" for m, p in sorted(modules.items()) if m not in doors
              for d in sorted(_imports(p, m, set(modules)) & doors)]
    assert not arrows, "library modules importing a command:\n" + "\n".join(arrows)
    # A command builds on another only to share its flags: the 1997 suite's
    # entry is seqgen.main with another trainer.
    between = {(m, d) for m, p in modules.items() if m in doors
               for d in _imports(p, m, set(modules)) & doors}
    assert between <= {("seqgen.tasks.main", "seqgen.main")}, between


def test_the_layer_check_sees_a_library_module_importing_a_command(tmp_path):
    door, lib = tmp_path / "door.py", tmp_path / "lib.py"
    door.write_text('def main():\n    pass\n\n\nif __name__ == "__main__":\n    main()\n')
    lib.write_text("from seqgen import door\n")
    assert _is_door(door) and not _is_door(lib)
    assert _imports(lib, "seqgen.lib", {"seqgen.door", "seqgen.lib"}) == {"seqgen.door"}
