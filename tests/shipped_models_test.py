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
    writer, reader = shipped
    texts = ["the quick brown fox", "jumps over the lazy dog", "seqgen writes by hand",
             "to be or not to be"]
    out = writer.kind.write(writer.model, texts, 1.0, jax.random.key(0))
    assert bool(np.all(out["stopped"]))
    read = reader.kind.read(reader.model, out["lines"])
    errors = error_rates.total(list(zip(texts, read, strict=True)))
    assert errors.cer < 0.25, list(zip(texts, read, strict=True))


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
