"""tools.cer_trend: the extrapolation of the writer's CER in docs/writer.md."""
import math

import pytest

from tools import cer_trend


def test_the_trend_of_an_exponential_decay_is_its_rate():
    k, c0 = 2.7e-4, 0.6  # CER = c0 exp(-k step)
    points = [(s, c0 * math.exp(-k * s)) for s in (500, 1000, 2500, 3000, 4000)]
    slope, at_end, end = cer_trend.trend(points, last=1500)
    assert end == 4000
    assert slope == pytest.approx(-k, rel=1e-9)
    assert at_end == pytest.approx(math.log(c0) - k * 4000, rel=1e-9)
    # Only the last 1,500 steps count: a different start changes nothing.
    slope2, _, _ = cer_trend.trend([(0, 0.99)] + points, last=1500)
    assert slope2 == pytest.approx(-k, rel=1e-9)


def test_the_documented_numbers_reach_5_percent_in_about_5050_more_steps():
    slope, at_end, end = cer_trend.trend([(2500, 0.296), (4000, 0.197)], last=1500)
    more = (math.log(0.05) - at_end) / slope
    # The line through both points, by hand: log(0.197/0.296) per 1,500 steps.
    assert more == pytest.approx(math.log(0.05 / 0.197) / (math.log(0.197 / 0.296) / 1500))
    assert round(more, -1) == 5050


def test_one_checkpoint_is_no_trend():
    with pytest.raises(ValueError, match="fewer than two"):
        cer_trend.trend([(4000, 0.2), (1000, 0.5)], last=1500)
