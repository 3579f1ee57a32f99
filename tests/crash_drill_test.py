"""The crash drill: 5 SIGKILLs (some while orbax is writing a checkpoint) and
a SIGTERM, each followed by a restart, end bit-identical to a run never killed."""

import pytest

from tools import crash_drill


@pytest.mark.slow  # end to end: python -m pytest -q -m slow tests
def test_killed_and_restarted_run_ends_bit_identical(tmp_path):
    result = crash_drill.run(tmp_path, kills=5, seed=1)
    assert result["kills"] == 5, result
    assert result["kills_while_saving"] >= 1, result
    term = [life for life in result["lives"] if life.get("sigterm")]
    assert len(term) == 1 and term[0]["exit_code"] == 0, result
    assert term[0]["seconds_to_exit"] < 30
    assert term[0]["complete_after"] == [term[0]["stopped_at"]], result  # saved where it stopped
    # Every restart resumed from a complete checkpoint at or after the last one seen.
    for life in result["lives"][:5]:
        assert life["complete_after"] and (life["resumed_from"] is None
                                           or life["complete_after"][0] >= life["resumed_from"])
    assert result["final_step"] == crash_drill.STEPS
    assert result["bit_identical"], result
