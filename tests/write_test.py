"""Handwriting synthesis end to end: a tiny run writes validation texts and
its plots at every evaluation, and `python -m seqgen.write` writes a page,
warns on characters training never saw and refuses what it cannot write in
one line."""

import os
import subprocess
import sys

import pytest

from seqgen import train
from seqgen.config import handwriting as handwriting_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthesis")
    c = handwriting_config.smoke(handwriting_config.synthesis_base())
    c.num_steps = 6
    c.eval_every = 6
    c.eval_test = False
    summary = train.train_and_evaluate(c, str(path))
    return path, summary


def test_evaluation_writes_validation_texts_and_plots(workdir):
    path, summary = workdir
    # A line is aligned only where the stop rule fired, and the rate is a
    # share of the validation lines written.
    rate, stops = summary["valid"]["alignment_rate"], summary["valid"]["stop_rate"]
    assert rate <= stops
    assert rate * 16 == pytest.approx(round(rate * 16))  # the smoke data's 16 lines
    samples = path / "samples"
    for name in ("step_0000006.svg", "step_0000006.png", "alignment_step_0000006.png",
                 "kappa_step_0000006.png"):
        assert (samples / name).exists(), name


def test_alignment_rate_counts_lines_whose_window_ran_monotonically_to_the_end(
        workdir, tmp_path, monkeypatch):
    """The sampler is replaced by one whose outputs are known: line b's
    window centre (mean kappa) rises to a share of its text's length, in
    five patterns of which two are aligned (stopped, monotonic, at least 90%
    of the way); the evaluation's alignment_rate must count exactly those."""
    import jax
    import numpy as np

    from seqgen.kinds import load_trained, synthesis

    path, _ = workdir
    kind, model, _, _ = load_trained(str(path))
    kind.load_data()
    L, K = 20, 2
    #           (stopped, monotonic, share of the text reached)
    patterns = [(True, True, 1.0), (False, True, 1.0), (True, False, 1.0),
                (True, True, 0.5), (True, True, 0.95)]

    def fake_write_strokes(model, start, chars_BxU, mask_BxU, **kw):
        B, U = chars_BxU.shape
        u_B = np.asarray(mask_BxU).sum(1)
        kappa = np.zeros((B, L, K), np.float32)
        for b in range(B):
            stopped, monotonic, share = patterns[b % 5]
            centre = np.linspace(0, share * u_B[b], L)
            if not monotonic:
                centre[L // 2] = centre[L // 2 - 1] - 1.0
            kappa[b] = centre[:, None]
        rng = np.random.default_rng(0)
        return {"strokes_BxLx3": rng.normal(size=(B, L, 3)).astype(np.float32),
                "length_B": np.full(B, L), "kappa_BxLxK": kappa,
                "stopped_B": np.array([patterns[b % 5][0] for b in range(B)]),
                "phi_BxLxU": np.full((B, L, U + 1), 1.0 / (U + 1), np.float32)}

    monkeypatch.setattr(synthesis.generate, "write_strokes", fake_write_strokes)
    out = kind.write_samples(model, str(tmp_path), 6, jax.random.key(0))
    n = len([t for t in kind.splits.valid.texts[:synthesis.ALIGN_LINES] if t.strip()])
    assert out["alignment_rate"] == pytest.approx(
        sum(patterns[b % 5] in (patterns[0], patterns[4]) for b in range(n)) / n)
    assert out["stop_rate"] == pytest.approx(sum(patterns[b % 5][0] for b in range(n)) / n)


def test_evaluation_pictures_are_in_tensorboard(workdir, event_images):
    path, _ = workdir
    images = event_images(path / "tensorboard")
    for tag in ("samples/lines", "samples/alignment", "samples/kappa"):
        assert (tag, 6) in images and images[(tag, 6)][:8] == b"\x89PNG\r\n\x1a\n", tag


def run_write(path, *args):
    return subprocess.run([sys.executable, "-m", "seqgen.write", f"--workdir={path}", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def test_write_a_page_with_plots_and_a_fallback(workdir, tmp_path):
    path, _ = workdir
    out = tmp_path / "page.svg"
    # 'É' never occurs in the smoke run's few training lines; 'E' or 'e'
    # does: a look-alike and a warning, not an error (a gap would be one).
    proc = run_write(path, "--text=\u00c9mile, hello\\nsecond line", "--bias=1.0",
                     f"--out={out}", "--plot")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wrote 2 lines" in proc.stdout
    assert out.exists() and out.with_suffix(".png").exists()
    assert (tmp_path / "page_align_0.png").exists() and (tmp_path / "page_kappa_1.png").exists()
    assert "'\u00c9'->" in proc.stderr, proc.stderr[-2000:]


def test_write_primed_by_a_line_in_another_font(workdir, tmp_path):
    path, _ = workdir
    out = tmp_path / "primed.svg"
    proc = run_write(path, "--text=to be", "--style=1", "--style_font=ems_elfin",
                     f"--out={out}", "--plot")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.exists() and (tmp_path / "primed_align_0.png").exists()


@pytest.mark.parametrize("text, needle, extra", [
    ("hello \U0001F600", "\U0001F600", ()), ("   ", "empty", ()), ("x" * 5000, "at most", ()),
    ("\u041f\u0440\u0438 hello", "gap on the page", ()),
    ("hello", "--style_font=comic_sans: 'comic_sans' is unknown",
     ("--style_font=comic_sans",))])
def test_write_refuses_in_one_line(workdir, tmp_path, text, needle, extra):
    path, _ = workdir
    proc = run_write(path, f"--text={text}", f"--out={tmp_path / 'p.svg'}", *extra)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert needle in proc.stderr.strip().splitlines()[-1]
