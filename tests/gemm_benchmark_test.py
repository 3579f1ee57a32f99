"""The GEMM benchmark's BLAS comparison and what the suite derives from it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks import gemm, suite


def test_blas_comparison_times_numpy_and_names_its_library():
    r = gemm.blas_gflops(8, 16, 32, repeats=2)
    assert r["numpy"]["gflops"] > 0 and r["numpy"]["n"] == 2
    assert isinstance(r["numpy"]["library"], str)
    if "torch" in r:  # the optional `bench` extra
        assert r["torch"]["gflops"] > 0 and r["torch"]["threads"] >= 1


def test_gemm_cli_writes_the_blas_rows(tmp_path):
    out = tmp_path / "gemm.json"
    subprocess.run([sys.executable, "-m", "benchmarks.gemm", "--size=32", "--repeats=1",
                    "--blas", "--threads=1", f"--json_out={out}"], check=True,
                   capture_output=True, timeout=300)
    r = json.loads(out.read_text())
    assert r["square_fp32"]["shape"] == [32, 32, 32]
    assert r["recurrent_fp32"]["shape"] == [32, 512, 2048]
    assert "numpy" in r["square_fp32_blas"] and "numpy" in r["recurrent_fp32_blas"]


def test_suite_states_what_the_speed_target_asks_of_the_machine():
    results = {
        "gemm": {"recurrent_fp32": {"gflops": 180.0},
                 "recurrent_fp32_blas": {"numpy": {"gflops": 60.0},
                                         "torch": {"gflops": 90.0}}},
        "text": {"rows": [{"impl": "seqgen", "symbols_per_s": 80.0, "fraction_of_peak": 0.7},
                          {"impl": "pytorch nn.LSTM", "symbols_per_s": 100.0,
                           "fraction_of_peak": 0.8}]}}
    rows = {what.strip(): (value, verdict) for what, value, _, verdict
            in suite.ratio_table(results)}
    # 1.25 x PyTorch's 80% of the GEMM peak = 100%: the target needs the whole peak.
    assert rows["1.25x PyTorch would need (of GEMM peak)"] == ("100%", "")
    assert rows["recurrent GEMM 32x512x2048 GFLOP/s"][0] == "XLA 180; numpy 60, torch 90"
    assert rows["seqgen / PyTorch nn.LSTM (fp32)"] == ("0.80x", "NOT met")


@pytest.mark.parametrize("quick", [True, False])
def test_suite_runs_the_gemm_comparison(quick, tmp_path):
    cmd = suite.commands(quick, 1, tmp_path)["gemm"]
    assert cmd[2:4] == ["benchmarks.gemm", "--blas"]
