"""The figures with axes: what is drawn is the data given, where it belongs,
with labels that say the unit; every figure saves as a PNG."""

import numpy as np
import pytest
from PIL import Image

from seqgen.data.strokes import split_strokes
from seqgen.handwriting import plots, render
from seqgen.tasks import plots as task_plots


def _png_size(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        return im.size


def _diagonal(text, T):
    u = np.arange(len(text) + 1)
    centre = np.linspace(0, len(text), T)
    return np.exp(-0.5 * ((u[None, :] - centre[:, None]) / 0.3) ** 2), centre


def test_alignment_draws_phi_per_character_and_the_line(tmp_path):
    text, T = "ab c$", 400
    phi, centre = _diagonal(text, T)
    points = np.column_stack([np.linspace(0, 8, T), np.sin(np.linspace(0, 8, T))])
    eos = np.zeros(T)
    eos[[199, T - 1]] = 1
    fig = plots.alignment(phi, text, points_Tx2=points, eos_T=eos, path=tmp_path / "a.png")
    w, h = _png_size(tmp_path / "a.png")
    assert w > 400 and h > 200
    heat, line = fig.axes[0], fig.axes[1]  # then the colour bar
    np.testing.assert_array_equal(heat.images[0].get_array(), phi.T)
    # Row u of the image peaks where the window is centred on character u.
    img = np.asarray(heat.images[0].get_array())
    for u in range(len(text) + 1):
        assert abs(img[u].argmax() - np.argmin(np.abs(centre - u))) <= 1
    labels = [t.get_text() for t in heat.get_yticklabels()]
    assert labels == ["a", "b", "␣", "c", r"\$", r"\$"]  # the extra row: the end slot
    assert "time step" in heat.get_xlabel() and "character" in heat.get_ylabel()
    assert "φ" in fig.axes[-1].get_ylabel()  # the colour bar says what the colour is
    # The line panel: one curve per stroke (the pen-up splits it), in pen units.
    drawn = [np.asarray(ln.get_xydata()) for ln in line.get_lines()]
    want = split_strokes(points, eos)
    assert len(drawn) == len(want) == 2
    for d, s in zip(drawn, want, strict=True):
        np.testing.assert_allclose(d, s)
    assert "pen units" in line.get_xlabel() and "pen units" in line.get_ylabel()
    with pytest.raises(plots.PlotError, match="U = len"):
        plots.alignment(phi[:, :3], text)


def test_kappa_draws_every_component_their_mean_and_the_end_slot(tmp_path):
    U, T = 10, 300
    rng = np.random.default_rng(0)
    kappa = np.linspace(0, U + 1, T)[:, None] + rng.normal(0, 0.2, (T, 3))
    fig = plots.kappa(kappa, U, path=tmp_path / "k.png")
    _png_size(tmp_path / "k.png")
    ax = fig.axes[0]
    lines = ax.get_lines()
    for k in range(3):
        np.testing.assert_allclose(lines[k].get_ydata(), kappa[:, k])
    mean = next(ln for ln in lines if ln.get_label() == "mean")
    np.testing.assert_allclose(mean.get_ydata(), kappa.mean(1))
    end = next(ln for ln in lines if ln.get_label().startswith("end of text"))
    assert set(np.asarray(end.get_ydata())) == {U + 1}
    assert "time step" in ax.get_xlabel() and "characters" in ax.get_ylabel()
    with pytest.raises(plots.PlotError, match="finite"):
        plots.kappa(np.full((5, 2), np.nan), U)


def test_density_is_the_log_mass_per_pixel_and_peaks_at_the_mean(tmp_path):
    points = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 5.0]])
    T = len(points)
    mu = np.tile([[[3.0, 4.0]]], (T, 1, 1))  # one component, away from the line
    args = (mu, np.full((T, 1, 2), 0.3), np.full((T, 1), 0.5), np.zeros((T, 1)))
    fig = plots.density(points, np.array([0, 0, 1]), *args, resolution=200, decades=3,
                        path=tmp_path / "d.png")
    _png_size(tmp_path / "d.png")
    ax = fig.axes[0]
    image = ax.images[0]
    x0, x1, y0, y1 = image.get_extent()
    H, W = image.get_array().shape
    pixel = (x1 - x0) / W
    np.testing.assert_allclose((y1 - y0) / H, pixel)
    mass = render.predictive_density(*args, x0=x0, y1=y1, pixel=pixel, shape=(H, W))
    np.testing.assert_allclose(mass.sum(), T, rtol=1e-3)  # three steps, all mass in view
    shown = np.asarray(image.get_array())
    lo = np.log10(mass.max()) - 3
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(shown, np.maximum(np.log10(mass), lo))
    r, c = np.unravel_index(shown.argmax(), shown.shape)
    assert abs(x0 + (c + 0.5) * pixel - 3.0) <= pixel and abs(y1 - (r + 0.5) * pixel - 4.0) <= pixel
    assert image.get_clim() == pytest.approx((lo, lo + 3))
    assert "pen units" in ax.get_xlabel() and "pen units" in ax.get_ylabel()
    assert "log10" in fig.axes[-1].get_ylabel()
    np.testing.assert_allclose(ax.get_lines()[0].get_xydata(), points)  # one stroke
    with pytest.raises(plots.PlotError, match=r"\(T, 2\)"):
        plots.density(points[:, :1], np.zeros(3), *args)


def test_legibility_draws_cer_against_bias_per_style(tmp_path):
    cells = [{"style": s, "bias": b, "cer": e}
             for s, es in (("unprimed", (0.6, 0.5, 0.4)), ("style 0", (0.7, 0.55, 0.3)))
             for b, e in zip((2.0, 0.0, 1.0), es, strict=True)]
    fig = plots.legibility(cells, path=tmp_path / "l.png")
    _png_size(tmp_path / "l.png")
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"unprimed", "style 0"}
    np.testing.assert_allclose(lines["unprimed"].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(lines["unprimed"].get_ydata(), [50, 40, 60])
    np.testing.assert_allclose(lines["style 0"].get_ydata(), [55, 30, 70])
    assert "bias" in ax.get_xlabel() and "(%)" in ax.get_ylabel()


def test_cer_over_training_is_sorted_by_minutes_with_the_threshold(tmp_path):
    points = [{"step": 2000, "minutes": 40.0, "cer": 0.08},
              {"step": 500, "minutes": 10.0, "cer": 0.6},
              {"step": 1000, "minutes": 20.0, "cer": 0.2}]
    fig = plots.cer_over_training(points, threshold=0.1, path=tmp_path / "c.png")
    _png_size(tmp_path / "c.png")
    ax = fig.axes[0]
    curve, threshold = ax.get_lines()
    np.testing.assert_allclose(curve.get_xdata(), [10, 20, 40])
    np.testing.assert_allclose(curve.get_ydata(), [60, 20, 8])
    np.testing.assert_allclose(threshold.get_ydata(), [10, 10])
    assert "minutes" in ax.get_xlabel() and "(%)" in ax.get_ylabel()


def test_success_curves_step_up_at_each_solved_trial(tmp_path):
    def trials(seqs):
        return [{"success": s is not None, "sequences": s or 0} for s in seqs]

    rows = [{"config": "adding", "variant": "", "model": "lstm1997", "cap": 10_000,
             "trials": trials([300, None, 100, 2000])},
            {"config": "adding", "variant": "", "model": "rnn", "cap": 10_000,
             "trials": trials([None] * 4)},
            {"config": "reber", "variant": "6x2", "model": "lstm1997", "cap": 5_000,
             "trials": trials([50, 60])}]
    fig = task_plots.success_curves(rows, path=tmp_path / "s.png")
    _png_size(tmp_path / "s.png")
    adding, reber = fig.axes[0], fig.axes[1]
    lstm, rnn = adding.get_lines()
    np.testing.assert_allclose(lstm.get_xdata(), [1, 100, 300, 2000, 10_000])
    np.testing.assert_allclose(lstm.get_ydata(), [0, 25, 50, 75, 75])  # 3 of 4 solved
    np.testing.assert_allclose(rnn.get_ydata(), [0, 0])
    assert lstm.get_label() == "lstm1997 (3/4)"
    assert reber.get_title() == "reber:6x2" and reber.get_lines()[0].get_ydata()[-1] == 100
    assert adding.get_xscale() == "log" and "sequences" in adding.get_xlabel()
    assert "(%)" in adding.get_ylabel()
    assert len(fig.axes) == 2  # one panel per task
