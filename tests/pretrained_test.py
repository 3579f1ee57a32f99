"""The shipped-model store (seqgen/pretrained) on a tiny run: export keeps
params and meta only, restores the same weights, writes the validation
writers as named styles; `seqgen.write` lists them, primes with one by name,
with a user's JSON line (saved and found again), and writes every output
format and pen option."""

import json
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest
from flax import nnx

from seqgen import pretrained, train
from seqgen.command.errors import UserError
from seqgen.config.files import load_module
from seqgen.data import strokes
from seqgen.handwriting import ink, styles
from seqgen.kinds import load_trained

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("pretrained")
    config = load_module(str(REPO / "configs" / "writer.py"), "writer_cfg").get_config("smoke")
    config.eval_test = False
    train.train_and_evaluate(config, str(root / "run"))
    proc = subprocess.run([sys.executable, "-m", "seqgen.pretrained.export",
                           f"--workdir={root / 'run'}", f"--dest={root / 'store'}",
                           "--name=writer", "--styles=2"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root


def size(path):
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_export_keeps_params_and_meta_and_the_same_weights(store):
    shipped = store / "store" / "writer"
    (step_dir,) = (shipped / "checkpoints").iterdir()
    assert sorted(p.name for p in step_dir.iterdir() if p.is_dir()) == ["meta", "params"]
    assert size(shipped / "checkpoints") < 0.6 * size(store / "run" / "checkpoints" /
                                                       step_dir.name)
    a, b = load_trained(str(store / "run")), load_trained(str(shipped))
    assert a.step == b.step and a.config.to_dict() == b.config.to_dict()
    jax.tree.map(np.testing.assert_array_equal, nnx.state(a.model, nnx.Param),
                 nnx.state(b.model, nnx.Param))


def test_export_writes_each_validation_writer_as_a_named_style(store):
    found = styles.shipped(store / "store" / "writer")
    assert len(found) == 2
    kind = load_trained(str(store / "run")).kind
    kind.load_data()
    valid = kind.splits.valid
    for style in found:
        font, _, k = style.name.rpartition("-")
        assert k.isdigit() and font in style.about and "never trained on" in style.about
        i = valid.texts.index(style.text)  # the writer's first validation line
        np.testing.assert_array_equal(style.line_Tx3, valid.lines[i])
    assert {s.about.split(" ")[0] for s in found} == {"valid-w0000", "valid-w0001"}


def test_check_compares_with_the_exported_metrics(store, monkeypatch):
    """export wrote check.json: the fixed-batch metrics and the writer's
    read-back by the shipped recogniser; the check measures them again."""
    import shutil

    from seqgen.pretrained import measure as check

    shutil.copytree(pretrained.path("recogniser"), store / "store" / "recogniser",
                    dirs_exist_ok=True)  # the read-back's reader, as in the package
    monkeypatch.setattr(pretrained, "ROOT", store / "store")
    path = store / "store" / "writer" / check.CHECK_FILE
    recorded = json.loads(path.read_text())
    assert set(recorded["metrics"]) >= {"nats_per_point"}
    assert recorded["readback"]["texts"] == list(check.READBACK_TEXTS)
    assert 0 <= recorded["readback"]["cer_pct"] <= 100 * 2  # insertions count too
    lines = check.compare("writer")
    assert all(line.endswith(" ok") for line in lines), lines
    assert any(line.startswith("writer: readback_cer_pct = ") for line in lines), lines
    # A check.json 5% off the model (a changed weight or data pipeline) and a
    # read-back figure off by twice its tolerance are caught.
    off = {**recorded,
           "metrics": {k: v * 1.05 + 0.01 for k, v in recorded["metrics"].items()},
           "readback": {**recorded["readback"], "cer_pct": recorded["readback"]["cer_pct"] +
                        2 * recorded["readback"]["tolerance_points"]}}
    path.write_text(json.dumps(off))
    try:
        lines = check.compare("writer")
    finally:
        path.write_text(json.dumps(recorded))
    assert lines and not any(line.endswith(" ok") for line in lines), lines


def test_resolve_picks_workdir_model_or_the_default(store):
    assert pretrained.resolve("/some/run", None, "write") == "/some/run"
    with pytest.raises(UserError, match="not both"):
        pretrained.resolve("/some/run", "writer", "write")
    with pytest.raises(UserError, match="'nope' is not a shipped model"):
        pretrained.resolve(None, "nope", "write")


def write(*args, env=None):
    return subprocess.run([sys.executable, "-m", "seqgen.write", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_write_lists_styles_and_primes_by_name_with_pen_options(store, tmp_path):
    model = store / "store" / "writer"
    env = {"SEQGEN_STYLES": str(tmp_path / "saved")}
    proc = write(f"--workdir={model}", "--list-styles", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = [s.name for s in styles.shipped(model)]
    assert all(n in proc.stdout for n in names) and "shipped" in proc.stdout
    out = tmp_path / "page.svg"
    proc = write(f"--workdir={model}", "--text=to be\\nor not", f"--style={names[1]}",
                 f"--out={out}", "--format=json", "--color=navy", "--stroke_width=3",
                 "--line_height=80", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    svg = out.read_text()
    assert 'stroke="#000080"' in svg and 'stroke-width="3"' in svg
    lines, texts = ink.load(out.with_suffix(".json"))  # screen coordinates, read back
    assert texts == ["to be", "or not"] and len(lines) == 2
    assert out.with_suffix(".png").exists()


def test_write_primes_with_a_users_json_line_and_saves_it(store, tmp_path):
    model = store / "store" / "writer"
    env = {"SEQGEN_STYLES": str(tmp_path / "saved")}
    style = styles.shipped(model)[0]
    points = strokes.to_absolute(style.line_Tx3) * np.array([2.5, -2.5])
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps([[[float(x), float(y), 10.0 * k] for k, (x, y) in enumerate(s)]
                                for s in strokes.split_strokes(points, style.line_Tx3[:, 2])]))
    out = tmp_path / "primed.svg"
    proc = write(f"--workdir={model}", "--text=to be", f"--style_file={mine}",
                 f"--style_text={style.text}", "--save_style=mine", f"--out={out}",
                 "--format=npy", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "saved" / "mine.npz").exists() and (tmp_path / "primed_000.npy").exists()
    with np.load(tmp_path / "saved" / "mine.npz") as z:
        assert str(z["texts"][0]) == style.text and z["line_000"].shape[1] == 3
    proc = write(f"--workdir={model}", "--text=to be", "--style=mine",
                 f"--out={tmp_path / 'again.svg'}", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = write(f"--workdir={model}", "--text=to be", f"--style_file={mine}",
                 f"--out={tmp_path / 'x.svg'}", env=env)
    assert proc.returncode != 0 and "--style_text" in proc.stderr.strip().splitlines()[-1]
