"""The PyTorch text peer (benchmarks/torch_lstm.py) computes the char model it
claims: its loss and every parameter's gradient equal a numpy re-derivation
of the equations (float64, gradients by central differences)."""

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

from benchmarks import torch_lstm  # noqa: E402


def test_text_peer_loss_and_gradients_match_numpy(char_lstm_reference):
    numpy_loss, check_gradients = char_lstm_reference
    N, H, V, B, T = 2, 5, 7, 3, 6
    lstm, head = torch_lstm.build(layers=N, hidden=H, vocab=V)
    # Weights and biases of scale 0.5, both bias vectors different: one
    # dropped or a swapped gate changes the loss.
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in list(lstm.parameters()) + list(head.parameters()):
            p.copy_(torch.from_numpy(0.5 * rng.normal(size=tuple(p.shape))))
    ids_BxT1 = torch.from_numpy(rng.integers(0, V, (B, T + 1)))
    loss = torch_lstm.loss(lstm, head, ids_BxT1)
    loss.backward()

    def flat(get):
        out = {"head.W": get(head.weight).T, "head.b": get(head.bias)}
        for n in range(N):
            out[f"{n}.W_ih"] = get(getattr(lstm, f"weight_ih_l{n}")).T
            out[f"{n}.W_hh"] = get(getattr(lstm, f"weight_hh_l{n}")).T
            out[f"{n}.b_ih"] = get(getattr(lstm, f"bias_ih_l{n}"))
            out[f"{n}.b_hh"] = get(getattr(lstm, f"bias_hh_l{n}"))
        return out

    def loss_of(p):
        return numpy_loss([(p[f"{n}.W_ih"], p[f"{n}.W_hh"], p[f"{n}.b_ih"] + p[f"{n}.b_hh"])
                           for n in range(N)], (p["head.W"], p["head.b"]), ids_BxT1.numpy())

    params = flat(lambda t: t.detach().numpy())
    assert float(loss.detach()) == pytest.approx(loss_of(params), rel=1e-5)
    check_gradients(loss_of, params, flat(lambda t: t.grad.numpy()))
