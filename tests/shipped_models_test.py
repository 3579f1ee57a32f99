"""The models that ship in the package (seqgen/pretrained): each has its card
and check, the store stays small, the writer writes legibly for the shipped
recogniser, its styles prime it, and the commands use them with no workdir.
(The wheel test in packaging_test.py runs `seqgen.pretrained.check` on
each from an installed wheel.)"""

import json
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest

from seqgen import error_rates, pretrained, styles
from seqgen.data import strokes
from seqgen.trained import load_trained

REPO = pathlib.Path(__file__).resolve().parents[1]
MODELS = {"writer": "synthesis", "recogniser": "recognition", "shakespeare": "text"}
CARD_FIELDS = ("Data", "Config", "Training", "Machine", "Metrics", "Licence")


def test_every_model_is_shipped_with_card_check_and_the_store_is_small():
    assert sorted(pretrained.names()) == sorted(MODELS)
    for name, kind in MODELS.items():
        folder = pretrained.path(name)
        card = pretrained.card(name)
        assert all(f"## {field}" in card for field in CARD_FIELDS), name
        check = json.loads((folder / "check.json").read_text())
        assert check["metrics"], name
        assert load_trained(str(folder)).config.kind == kind
    total = sum(p.stat().st_size for p in pretrained.ROOT.rglob("*") if p.is_file())
    assert total < 40e6, f"{total / 1e6:.1f} MB"


@pytest.fixture(scope="module")
def shipped():
    writer = load_trained(str(pretrained.path("writer")))
    reader = load_trained(str(pretrained.path("recogniser")))
    return writer, reader


def test_the_recogniser_reads_the_shipped_styles_lines(shipped):
    """The styles are validation writers' lines the recogniser never trained
    on; it reads them as its card says (CER 3.7% on 20 unseen writers)."""
    _, reader = shipped
    found = styles.shipped(pretrained.path("writer"))
    assert len(found) >= 10
    read = reader.kind.read(reader.model, [s.line_Tx3 for s in found])
    errors = error_rates.total([(s.text, r) for s, r in zip(found, read, strict=True)])
    assert errors.cer < 0.10, list(zip([s.text for s in found], read, strict=True))


def test_the_writer_writes_what_the_recogniser_reads(shipped):
    """12 lines at bias 2, where the card measures 19.0% CER over 200 test
    texts; the bound leaves room for the noise of 12 lines (an untrained or
    broken writer reads back at 80-100%)."""
    writer, reader = shipped
    texts = ["the quick brown fox", "jumps over the lazy dog", "seqgen writes by hand",
             "to be or not to be", "that is the question", "a horse, a horse",
             "my kingdom for a horse", "all the world is a stage", "we few, we happy few",
             "now is the winter of our", "brevity is the soul of wit", "what light through"]
    out = writer.kind.write(writer.model, texts, 2.0, jax.random.key(0))
    assert bool(np.all(out["stopped"]))
    read = reader.kind.read(reader.model, out["lines"])
    errors = error_rates.total(list(zip(texts, read, strict=True)))
    assert errors.cer < 0.35, list(zip(texts, read, strict=True))


def test_a_style_saved_as_screen_json_primes_as_well_as_given_internally(shipped, tmp_path):
    """Graves §5.3 from a user's file: validation writers' lines, saved as a
    browser would record them (absolute points, y down, 2.5x the size,
    timestamps), loaded and fitted to the model's scale (seqgen/styles.py),
    prime the writer as legibly as the same lines given internally: the
    read-back CER within 6 points (sampling noise on 36 lines is ~2-3)."""
    writer, reader = shipped
    found = styles.shipped(pretrained.path("writer"))
    scale = styles.Scale.of([s.line_Tx3 for s in found], [s.text for s in found])
    texts = ["whether tis nobler in the mind", "to take arms against a sea",
             "and by opposing end them"] * 4
    cer = {}
    for route in ("internal", "json"):
        pairs = []
        for k, style in enumerate(found[:3]):
            line = style.line_Tx3
            if route == "json":
                points = strokes.to_absolute(line) * np.array([2.5, -2.5]) + [30.0, 400.0]
                path = tmp_path / f"style{k}.json"
                path.write_text(json.dumps(
                    [[[float(x), float(y), 8.0 * i] for i, (x, y) in enumerate(st)]
                     for st in strokes.split_strokes(points, line[:, 2])]))
                loaded, text = styles.from_file(str(path), style.text)
                line = styles.fit(loaded, text, scale, str(path))
            out = writer.kind.write(writer.model, texts, 1.0, jax.random.key(k),
                                    (line, style.text))
            pairs += list(zip(texts, reader.kind.read(reader.model, out["lines"]),
                              strict=True))
        cer[route] = error_rates.total(pairs).cer
    assert abs(cer["json"] - cer["internal"]) <= 0.06, cer


def run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_commands_use_the_shipped_models_with_no_workdir(tmp_path):
    out = tmp_path / "page.svg"
    proc = run("seqgen.write", "--text=hello world", f"--out={out}", "--style=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "stop rule fired on 1 of 1" in proc.stdout
    proc = run("seqgen.read", f"--strokes={out.with_suffix('.npz')}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "CER" in proc.stdout
    proc = run("seqgen.sample", "--prime=ROMEO:", "--length=40")
    assert proc.returncode == 0 and proc.stdout.startswith("ROMEO:"), proc.stderr[-3000:]
