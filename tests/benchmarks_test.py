"""Smoke tests of benchmarks/: tiny shapes, seconds. The CLIs run and write
JSON with the keys the suite and README read; the FLOP formula agrees with
a count of the model's matmuls written out by hand; the suite's verdicts
follow the issue's targets."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import flops, pipeline, sampling, suite, throughput, torch_lstm

REPO = Path(__file__).resolve().parents[1]


def matmul_flops(*mkn):
    return sum(2 * m * k * n for m, k, n in mkn)


def test_text_flops_match_a_hand_count_of_the_matmuls():
    # The model: 2x512, no skips, one-hot V = 205, B*T = 3200 rows.
    R, V, H = 32 * 100, 205, 512
    forward = matmul_flops((R, V, 4 * H), (R, H, 4 * H),  # layer 1: x and h
                           (R, H, 4 * H), (R, H, 4 * H),  # layer 2: h^1 and h
                           (R, H, V))  # logits
    got = flops.lstm_forward_flops(32, 100, V, H, 2, V, skip=False)
    assert got == forward
    assert flops.train_step_flops(got) == 3 * forward
    assert abs(3 * forward / 1e9 - 70.5) < 0.05  # the figure


def test_skip_and_synthesis_flops_match_a_hand_count():
    R, D, H, Y, C, N = 7 * 11, 3, 10, 121, 5, 3
    skip = matmul_flops((R, D, 4 * H), (R, H, 4 * H),
                        *[((R, D + H, 4 * H)), (R, H, 4 * H)] * (N - 1), (R, N * H, Y))
    assert flops.lstm_forward_flops(7, 11, D, H, N, Y, skip=True) == skip
    # Synthesis: the window w (C wide) feeds every layer and the output.
    syn = matmul_flops((R, D + C, 4 * H), (R, H, 4 * H),
                       *[((R, D + H + C, 4 * H)), (R, H, 4 * H)] * (N - 1),
                       (R, N * H + C, Y))
    assert flops.lstm_forward_flops(7, 11, D, H, N, Y, skip=True, extra_in=C,
                                    extra_out=C) == syn
    U, K = 4, 10
    assert flops.window_forward_flops(7, 11, H, K, U, C) == matmul_flops(
        (R, H, 3 * K), (R, U, C))


def test_throughput_cli_writes_json(tmp_path):
    out = tmp_path / "t.json"
    env = dict(os.environ, XLA_FLAGS="", JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.throughput", "--model=text", "--layers=1",
         "--hidden=8", "--batch=2", "--seq=3", "--vocab=11", "--warmup=0", "--repeats=2",
         "--gemm_size=32", "--threads=1", f"--json_out={out}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(out.read_text())
    for key in ("step_gflop", "gemm_peak_gflops", "peak_rss_mb", "threads", "rows", "units"):
        assert key in r
    row = r["rows"][0]
    for key in ("step_ms_median", "step_ms_p10", "step_ms_p90", "symbols_per_s", "gflops",
                "fraction_of_peak", "compile_s"):
        assert row[key] > 0
    assert row["symbols_per_s"] == pytest.approx(2 * 3 / (row["step_ms_median"] / 1e3))
    assert "seqgen" in proc.stdout


def test_handwriting_throughput_runs():
    # Synthesis: the prediction network plus the window, so both code paths.
    r = throughput.run(model="synthesis", layers=1, hidden=8, batch=8, seq=4, chars=3,
                       alphabet=6, warmup=0, repeats=1, gemm_size=32, compare=True, threads=1)
    assert r["units"] == "points" and r["rows"][0]["symbols_per_s"] > 0
    # --compare times seqgen's own autodiff route too: the hand-written backward's before.
    assert [row["impl"] for row in r["rows"]][:2] == ["seqgen", "seqgen, autodiff backward"]
    assert r["rows"][1]["seqgen_ratio"] > 0


def test_compare_runs_the_peers_on_the_same_shapes(monkeypatch):
    """Both text peers are timed on seqgen's shapes, and their rows are read
    from their timings: stand-in timers record what they were asked and
    return known medians, so the rows' rates have a closed form (with or
    without torch installed)."""
    from benchmarks import flax_lstm

    asked = {}

    def timer(name, median_s, **extra):
        def time_step(**kw):
            asked[name] = kw
            return {"median_s": median_s, "p10_s": median_s, "p90_s": median_s, "n": 1, **extra}
        return time_step

    monkeypatch.setattr(torch_lstm, "available", lambda: True)
    monkeypatch.setattr(torch_lstm, "train_step_time",
                        timer("torch", 0.5, version="x", threads=1))
    monkeypatch.setattr(flax_lstm, "train_step_time", timer("flax", 0.25))
    r = throughput.run(model="text", layers=1, hidden=8, batch=8, seq=3, vocab=11,
                       compare=True, threads=1, warmup=0, repeats=1, gemm_size=32)
    shape = {"layers": 1, "hidden": 8, "batch": 8, "seq": 3, "vocab": 11, "warmup": 0,
             "repeats": 1}
    assert (r["layers"], r["hidden"], r["batch"], r["seq"]) == (1, 8, 8, 3)
    assert asked["torch"] == {**shape, "threads": 1, "bf16": False}
    assert asked["flax"] == shape
    rows = {row["impl"]: row for row in r["rows"]}
    assert list(rows) == ["seqgen", "seqgen, autodiff backward", "pytorch nn.LSTM",
                          "flax nnx.RNN(OptimizedLSTMCell)"]
    ours = rows["seqgen"]["symbols_per_s"]
    for impl, median_s in (("pytorch nn.LSTM", 0.5), ("flax nnx.RNN(OptimizedLSTMCell)", 0.25)):
        assert rows[impl]["symbols_per_s"] == pytest.approx(8 * 3 / median_s)
        assert rows[impl]["seqgen_ratio"] == pytest.approx(ours / (8 * 3 / median_s))
    assert rows["pytorch nn.LSTM"]["torch"] == {"version": "x", "threads": 1}


def test_sampling_runs_and_counts_symbols():
    r = sampling.run(layers=1, hidden=8, vocab=11, length=5, batches=(1, 2), hw_batches=(1, 2),
                     hw_layers=1, hw_hidden=8, points=4, chars=3, repeats=1, threads=1)
    whats = [(row["what"].split()[0], row["batch"]) for row in r["rows"]]
    assert whats == [("text", 1), ("text", 2), ("handwriting", 1), ("synthesis", 1),
                     ("handwriting", 2), ("synthesis", 2)]
    row = r["rows"][1]
    assert row["seqgen_per_s"] == pytest.approx(2 * 5 / row["seqgen"]["median_s"])
    # Every row, text and handwriting, has its PyTorch peer when torch is installed.
    assert all(("seqgen_ratio" in row) == torch_lstm.available() for row in r["rows"])
    # Batched rows carry the GEMM bound of their step; batch 1 is not matmul-bound.
    assert [("gemm_bound" in row) for row in r["rows"]] == [False, True, False, False,
                                                            True, True]
    b = r["rows"][1]["gemm_bound"]
    assert 0 < b["min_step_s"] and b["seqgen_step_s"] == pytest.approx(
        r["rows"][1]["seqgen"]["median_s"] / 5)
    assert "GEMM bound" in sampling.format_table(r)


def test_the_gemm_bound_counts_the_matmuls_of_one_sampling_step():
    from benchmarks import sampling_bound as sb
    # 2x512 text at batch 64: h @ W_h, [h^1, h^2] @ [W_x; W_h], the head.
    text = sb.text_gemms(batch=64, layers=2, hidden=512, vocab=205)
    assert text == [(64, 512, 2048), (64, 1024, 2048), (64, 512, 205)]
    hw = sb.handwriting_gemms(batch=64, layers=3, hidden=400)
    assert hw == [(64, 403, 1600), (64, 803, 1600), (64, 803, 1600), (64, 1200, 121)]
    syn = sb.synthesis_gemms(batch=64, layers=3, hidden=400, alphabet=80)
    assert syn == [(64, 483, 1600), (64, 400, 30), (64, 883, 1600), (64, 883, 1600),
                   (64, 1280, 121)]
    b = sb.bound([(2, 3, 4), (2, 3, 4), (2, 5, 4)], seqgen_step_s=1.0, pytorch_step_s=2.0,
                 repeats=1)
    assert [g["count"] for g in b["gemms"]] == [2, 1]
    assert b["flop_per_step"] == 2 * (2 * 2 * 3 * 4) + 2 * 2 * 5 * 4
    assert b["best_ratio"] == pytest.approx(2.0 / b["min_step_s"])


def test_pipeline_on_a_small_generated_enwik8(tmp_path):
    from seqgen.data.text import enwik8
    real = enwik8.ENWIK8_SHA256
    r = pipeline.run(size=300_000, batch=4, seq=10, batches=5, workdir=str(tmp_path))
    assert r["vocab"] == pipeline.ENWIK8_LIKE_SYMBOLS
    assert r["train_tokens"] == 300_000 * 90 // 100
    assert r["batches_per_s"] > 0 and r["peak_rss_mb"] > 0
    assert enwik8.ENWIK8_SHA256 == real  # the loader's checksums are put back


def test_suite_verdicts_follow_the_targets():
    def row(impl, sps, frac=0.5):
        return {"impl": impl, "symbols_per_s": sps, "fraction_of_peak": frac}

    results = {"text": {"rows": [row("seqgen", 130.0, 0.9), row("pytorch nn.LSTM", 100.0),
                                 row("flax nnx.RNN", 140.0)]},
               "enwik8_compile": {"rows": [{"compile_s": 12.0}]},
               "sampling": {"rows": [
                   {"what": "text 2x512", "batch": 1, "units": "chars",
                    "seqgen_per_s": 5000.0, "seqgen_ratio": 2.5},
                   {"what": "synthesis 3x400", "batch": 1, "units": "points",
                    "seqgen_per_s": 2000.0, "seqgen_ratio": 1.5},
                   {"what": "handwriting 3x400", "batch": 64, "units": "points",
                    "seqgen_per_s": 20000.0, "seqgen_ratio": 1.3,
                    "gemm_bound": {"best_ratio": 1.4}}]},
               "pipeline": {"peak_rss_mb": 300.0, "batches_per_s": 10.0},
               "synthesis_shipped": {"model": "synthesis", "layers": 3, "hidden": 256, "rows": [
                   row("seqgen", 150.0), row("seqgen, autodiff backward", 100.0),
                   row("pytorch LSTMCell+LSTM", 100.0)]}}
    table = suite.ratio_table(results)
    verdicts = {what.strip(): verdict for what, _, _, verdict in table}
    assert verdicts["seqgen / PyTorch nn.LSTM (fp32)"] == "met"  # 1.30 >= 1.25
    assert verdicts["seqgen / Flax OptimizedLSTMCell (fp32)"] == ""  # the issue sets none
    assert verdicts["seqgen fraction of GEMM peak"] == "met"
    assert verdicts["enwik8 7x700 train step compile"] == "NOT met"
    assert verdicts["enwik8 pipeline peak RSS (process)"] == "met"
    # Text sampling has the issue's >= 2x; handwriting sampling only the record.
    assert verdicts["seqgen / best PyTorch step loop"] == "met"
    assert verdicts["seqgen / PyTorch (no peepholes)"] == "met"  # synthesis: 1.5 >= 1.4
    assert verdicts["seqgen / its own autodiff backward"] == ""
    # Batch 64 handwriting has the >= 2x target, with the GEMM bound beside it.
    step_loop = [(value, target, verdict) for what, value, target, verdict in table
                 if what.strip() == "seqgen / PyTorch step loop"]
    assert step_loop == [("1.50x", "", ""), ("1.30x", ">= 2x", "NOT met")]
    assert verdicts["best possible (GEMM bound)"] == ""


def test_routes_time_each_route_in_one_process():
    from benchmarks import routes
    rows = routes.run(["backward=autodiff", "backward=fused,unroll=2"], layers=1, hidden=8,
                      batch=8, seq=3, repeats=1)  # 8 fake devices: B divisible by 8
    assert [r["route"] for r in rows] == ["backward=autodiff", "backward=fused,unroll=2"]
    assert all(r["chars_per_s"] > 0 for r in rows)


def test_suite_wait_rows_follow_the_targets():
    def t(s):
        return {"median_s": s}

    results = {"wait": {"cold": {"line": {"empty_cache": t(4.0), "cached": t(3.0)},
                                 "page": {"empty_cache": t(10.5), "cached": t(4.0)}},
                        "warm": {"line": t(0.3), "page": t(2.9)}},
               "memory": {"training": {"peak_rss_mb": 2000.0},
                          "server": {"after_requests_mb": 700.0}}}
    verdicts = {what: verdict for what, _, _, verdict in suite.ratio_table(results)}
    assert verdicts["seqgen.write 10-line page, cold, empty cache"] == "NOT met"  # > 10 s
    assert verdicts["seqgen.write 10-line page, warm server"] == "met"  # <= 3 s
    assert verdicts["seqgen.write one line, cold, cached"] == ""  # no target: the record
    assert verdicts["peak RSS training configs/writer.py"] == ""
