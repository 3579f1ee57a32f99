"""The PyTorch handwriting train-step peers (benchmarks/torch_handwriting_train.py)
optimise seqgen's objective on seqgen's network: with a peephole-free seqgen
model's weights copied in, they give seqgen's mixture outputs, and their loss
equals seqgen's mdn.log_likelihood on those same numbers; Adam steps lower it
(the backward is wired); and `throughput --compare` writes the peer rows for
handwriting and synthesis. The Flax peer's tests run without torch, in
tests/flax_peers_test.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

# PyTorch is not in the test extra: python -m pytest -q -m peers tests runs these.
# Not importorskip: a module skipped while collected is reported skipped even
# when the default run deselects all its tests.
try:
    import torch
except ImportError:
    torch = None
pytestmark = [pytest.mark.peers,
              pytest.mark.skipif(torch is None, reason="needs torch: pip install -e '.[bench]'")]

from benchmarks import throughput  # noqa: E402

if torch is not None:  # it builds torch modules when imported
    from benchmarks import torch_handwriting_train as peer
from seqgen.models import lstm, mdn  # noqa: E402
from seqgen.models.handwriting import PredictionModel  # noqa: E402
from seqgen.models.synthesis import SynthesisModel  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
B, T, N, H, M, K, U, C = 2, 6, 2, 16, 3, 2, 5, 10
# init_scale 0.5 and random output biases: gates and mixture parameters far
# from their values at zero, so a miswired part shows.
OPTS = lstm.LSTMOptions(peepholes=False, init_scale=0.5)


def _batch(model: str, seed: int = 0) -> dict[str, np.ndarray]:
    b = throughput.example_batch(throughput.model_config(model), B, T, chars=U, alphabet=C)
    rng = np.random.default_rng(seed)
    b["inputs"] = b["inputs"] + rng.normal(size=b["inputs"].shape).astype(np.float32)
    b["inputs"][..., 2] = rng.random((B, T)) < 0.3
    b["targets"][..., 2] = rng.random((B, T)) < 0.3
    b["mask"][1, 4:] = 0.0  # row 1 is a shorter line, padded
    if model == "synthesis":
        b["char_mask"][1, 3:] = 0.0  # and its text is shorter
    return b


def _seqgen_nll(y_BxTxY: np.ndarray, b: dict) -> float:
    """kinds/handwriting.mixture_loss's loss: mean nats per unmasked point."""
    ll_BxT = np.asarray(mdn.log_likelihood(jnp.asarray(y_BxTxY), jnp.asarray(b["targets"])),
                        np.float64)
    return float(-(ll_BxT * b["mask"]).sum() / b["mask"].sum())


def _randomise_bias(param, seed):
    param[...] = jnp.asarray(np.random.default_rng(seed).normal(size=param.shape),
                             jnp.float32)


def _check_outputs_and_loss(net, y_seqgen_BxTxY, b):
    bt = peer.tensors(b)
    with torch.no_grad():
        y_BxTxY = net(bt["inputs"], bt["chars"], bt["char_mask"]) if "chars" in bt \
            else net(bt["inputs"])
        loss = float(net.loss(bt))
    np.testing.assert_allclose(y_BxTxY.numpy(), np.asarray(y_seqgen_BxTxY),
                               atol=1e-5, rtol=1e-5)
    assert loss == pytest.approx(_seqgen_nll(y_BxTxY.numpy(), b), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("skip", [True, False])
def test_prediction_peer_is_seqgens_network_and_loss(skip):
    model = PredictionModel(hidden=H, num_layers=N, num_mixtures=M, skip=skip, opts=OPTS,
                            rngs=nnx.Rngs(1))
    _randomise_bias(model.head.b, 2)
    b = _batch("handwriting")
    y_BxTxY, _ = model(jnp.asarray(b["inputs"]), model.init_carry(B))
    net = peer.PredictionPeer(layers=N, hidden=H, mixtures=M, skip=skip)
    peer.copy_seqgen_weights(net, model)
    _check_outputs_and_loss(net, y_BxTxY, b)


def test_synthesis_peer_is_seqgens_network_and_loss():
    # kappa_step 0.7: the window crosses the 5 characters within the 6 steps.
    model = SynthesisModel(alphabet_size=C, hidden=H, num_layers=N, num_mixtures=M,
                           num_window=K, opts=OPTS, kappa_step=0.7, rngs=nnx.Rngs(4))
    _randomise_bias(model.head.b, 5)
    b = _batch("synthesis", seed=1)
    y_BxTxY, _, phi_BxTxU, _ = model(jnp.asarray(b["inputs"]), jnp.asarray(b["chars"]),
                                     jnp.asarray(b["char_mask"]), model.init_carry(B))
    assert np.ptp(np.asarray(phi_BxTxU)[0, -1]) > 0.1  # the window is not flat
    net = peer.SynthesisPeer(layers=N, hidden=H, mixtures=M, window=K, alphabet=C)
    peer.copy_seqgen_weights(net, model)
    _check_outputs_and_loss(net, y_BxTxY, b)


def test_loss_matches_mdn_where_the_clamps_act():
    # Raw outputs of scale 8: some |rho_hat| > 10 and log sigma < -10, where
    # the clamps of mdn.mixture take over, and offsets far from the means.
    rng = np.random.default_rng(3)
    y_BxTxY = (8 * rng.normal(size=(B, T, 6 * M + 1))).astype(np.float32)
    b = _batch("handwriting", seed=3)
    assert (np.abs(y_BxTxY[..., 1 + 5 * M:]) > 10).any()
    assert (y_BxTxY[..., 1 + 3 * M:1 + 5 * M] < -10).any()
    bt = peer.tensors(b)
    got = float(peer.mixture_nll(torch.from_numpy(y_BxTxY), bt["targets"], bt["mask"]))
    assert got == pytest.approx(_seqgen_nll(y_BxTxY, b), rel=1e-5)


@pytest.mark.parametrize("model", ["handwriting", "synthesis"])
def test_torch_adam_steps_lower_the_loss(model):
    torch.manual_seed(0)
    net = peer.PredictionPeer(layers=N, hidden=H, mixtures=M) if model == "handwriting" else \
        peer.SynthesisPeer(layers=N, hidden=H, mixtures=M, window=K, alphabet=C)
    step = peer.make_train_step(net, peer.tensors(_batch(model)), lr=1e-2)
    losses = [float(step()) for _ in range(5)]
    assert all(np.isfinite(losses))
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses


def _check_peer_rows(rows: list[dict], model: str, symbols: int) -> None:
    rows = {r["impl"].split()[0].rstrip(",") + (" autodiff" if "autodiff" in r["impl"] else ""):
            r for r in rows}
    # seqgen, seqgen with autodiff of its scans (the hand-written backward's before), peers.
    assert set(rows) == {"seqgen", "seqgen autodiff", "pytorch", "flax"}
    assert rows["seqgen autodiff"]["seqgen_ratio"] > 0
    t = rows["pytorch"]
    assert "no peepholes" in t["impl"] and t["torch"]["threads"] == 1
    assert t["symbols_per_s"] == pytest.approx(symbols / (t["step_ms_median"] / 1e3))
    assert t["seqgen_ratio"] > 0 and t["gflops"] > 0
    if model == "handwriting":
        assert rows["flax"]["symbols_per_s"] > 0 and rows["flax"]["compile_s"] > 0
    else:
        assert "skipped" in rows["flax"]


def test_throughput_cli_compare_writes_the_peer_rows(tmp_path):
    out = tmp_path / "t.json"
    # The suite's persistent compilation cache (conftest.py): reruns skip compiling.
    env = dict(os.environ, XLA_FLAGS="", JAX_PLATFORMS="cpu",
               JAX_COMPILATION_CACHE_DIR=jax.config.jax_compilation_cache_dir,
               JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0.5")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.throughput", "--model=handwriting", "--layers=1",
         "--hidden=8", "--batch=2", "--seq=5", "--repeats=1", "--warmup=1", "--compare",
         "--gemm_size=32", "--threads=1", f"--json_out={out}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    _check_peer_rows(json.loads(out.read_text())["rows"], "handwriting", 2 * 5)
    assert "pytorch" in proc.stdout


def test_synthesis_compare_rows_in_process():
    import torch

    from benchmarks import throughput
    torch.set_num_threads(1)
    # 8 fake devices in the test process: the batch must divide by 8.
    r = throughput.run(model="synthesis", layers=1, hidden=8, batch=8, seq=5, chars=6,
                       alphabet=10, compare=True, threads=1, warmup=1, repeats=1,
                       gemm_size=32)
    _check_peer_rows(r["rows"], "synthesis", 8 * 5)
