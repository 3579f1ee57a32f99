"""The peer: PyTorch nn.LSTM char model, trained and sampled the usual way.

One-hot bytes -> nn.LSTM(num_layers=N) -> nn.Linear -> softmax, mean cross
entropy, torch.optim.Adam with its defaults, eager mode, float32 (or the
matmuls under CPU bfloat16 autocast). PyTorch is optional (the `bench`
extra, CPU wheel); `available()` says whether it is installed.

Dimension letters: B batch, T time, V vocabulary, H hidden.
"""

from __future__ import annotations

import importlib.util
import warnings

from benchmarks import timing


def available() -> bool:
    return importlib.util.find_spec("torch") is not None


def build(*, layers: int, hidden: int, vocab: int, seed: int = 0):
    """(nn.LSTM, nn.Linear head) of the char model, torch's default init."""
    import torch

    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(vocab, hidden, num_layers=layers, batch_first=True)
    head = torch.nn.Linear(hidden, vocab)
    return lstm, head


def loss(lstm, head, ids_BxT1, *, bf16: bool = False):
    """Mean cross entropy (nats) of predicting ids[:, 1:] from ids[:, :-1]."""
    import torch
    import torch.nn.functional as F

    vocab = head.out_features
    x_BxTxV = F.one_hot(ids_BxT1[:, :-1], vocab).float()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        h_BxTxH, _ = lstm(x_BxTxV)
        logits_BxTxV = head(h_BxTxH)
    return F.cross_entropy(logits_BxTxV.float().reshape(-1, vocab), ids_BxT1[:, 1:].reshape(-1))


def train_step_time(*, layers: int, hidden: int, batch: int, seq: int, vocab: int,
                    threads: int, warmup: int, repeats: int, bf16: bool = False) -> dict:
    """Seconds per Adam step of the nn.LSTM char model on random bytes."""
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    lstm, head = build(layers=layers, hidden=hidden, vocab=vocab)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    g = torch.Generator().manual_seed(0)
    ids_BxT1 = torch.randint(0, vocab, (batch, seq + 1), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        value = loss(lstm, head, ids_BxT1, bf16=bf16)
        value.backward()
        opt.step()
        return value

    t = timing.time_calls(step, warmup=warmup, repeats=repeats)
    return {**t, "threads": torch.get_num_threads(), "version": torch.__version__}


def sample_time(*, layers: int, hidden: int, batch: int, vocab: int, length: int,
                threads: int, repeats: int) -> dict:
    """Seconds to sample `length` symbols one step at a time, best of two loops.

    The loops run under inference_mode and feed each sample back: (a)
    nn.LSTM called on one time step (oneDNN disabled, see below), (b) a
    stack of nn.LSTMCell. The faster is the peer figure ("the best PyTorch
    step loop").
    """
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(vocab, hidden, num_layers=layers, batch_first=True)
    cells = [torch.nn.LSTMCell(vocab if n == 0 else hidden, hidden) for n in range(layers)]
    head = torch.nn.Linear(hidden, vocab)
    eye_VxV = torch.eye(vocab)

    def loop_lstm():
        with torch.inference_mode():
            ids_B = torch.zeros(batch, dtype=torch.long)
            state = None
            for _ in range(length):
                h_Bx1xH, state = lstm(eye_VxV[ids_B][:, None], state)
                p_BxV = torch.softmax(head(h_Bx1xH[:, 0]), -1)
                ids_B = torch.multinomial(p_BxV, 1)[:, 0]

    def loop_cells():
        with torch.inference_mode():
            ids_B = torch.zeros(batch, dtype=torch.long)
            hc = [(torch.zeros(batch, hidden), torch.zeros(batch, hidden)) for _ in cells]
            for _ in range(length):
                x = eye_VxV[ids_B]
                for n, cell in enumerate(cells):
                    hc[n] = cell(x, hc[n])
                    x = hc[n][0]
                p_BxV = torch.softmax(head(x), -1)
                ids_B = torch.multinomial(p_BxV, 1)[:, 0]

    def loop_lstm_native():
        # nn.LSTM's default oneDNN path took ~18 ms a step at batch 1 here
        # (against ~3 ms with the native kernels), so it is never the best
        # loop and is not timed: it would take minutes.
        with warnings.catch_warnings():
            # The flags context warns about Intel-GPU TF32, which is moot here.
            warnings.simplefilter("ignore", UserWarning)
            with torch.backends.mkldnn.flags(enabled=False):
                loop_lstm()

    loops = (("nn.LSTM oneDNN off", loop_lstm_native), ("nn.LSTMCell", loop_cells))
    results = {name: timing.time_calls(fn, warmup=1, repeats=repeats) for name, fn in loops}
    best = min(results, key=lambda k: results[k]["median_s"])
    return {**results[best], "loop": best,
            "loops": {k: v["median_s"] for k, v in results.items()},
            "threads": torch.get_num_threads(), "version": torch.__version__}
