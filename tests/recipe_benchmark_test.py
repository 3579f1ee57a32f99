"""benchmarks/recipe.py: seqgen's default recipe and the PyTorch baseline train
on the same split for the same seconds and are scored the same way."""

import math

import numpy as np
import pytest

# PyTorch is not in the test extra: python -m pytest -q -m peers tests runs these.
# Not importorskip: a module skipped while collected is reported skipped even
# when the default run deselects all its tests.
try:
    import torch
except ImportError:
    torch = None
pytestmark = [pytest.mark.peers,
              pytest.mark.skipif(torch is None, reason="needs torch: pip install -e '.[bench]'")]

from benchmarks import recipe  # noqa: E402


# Two real (tiny) training runs, about a minute.
def test_recipe_runs_both_sides_on_the_same_budget():
    r = recipe.run("", minutes=0.02, threads=1)
    s, t = r["seqgen"], r["pytorch"]
    assert s["steps"] >= 2 and t["steps"] >= 1
    # PyTorch trains for the seconds seqgen's training took: it stops within
    # a step or so after reaching them (a few of its mean steps, for noise),
    # and it is scored at seqgen's step count whenever it got there.
    torch_step = t["train_seconds"] / t["steps"]
    assert t["train_seconds"] - s["train_seconds"] < 3 * torch_step + 0.05, (s, t)
    assert (t["valid_bpc_at_seqgen_steps"] is not None) == (t["steps"] >= s["steps"])
    # Near the start both sit near the uniform code length over the vocabulary.
    uniform = math.log2(r["vocab"])
    for bpc in (s["valid_bpc"], t["valid_bpc"]):
        assert np.isfinite(bpc) and 3.0 < bpc < uniform + 1.0
    assert "| valid BPC at equal time |" in recipe.format_table(r)
