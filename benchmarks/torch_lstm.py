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


def train_forms(*, layers: int, hidden: int, batch: int, seq: int, vocab: int,
                threads: int, warmup: int, repeats: int, bf16: bool = False,
                compiled: bool = True) -> list[dict]:
    """Adam steps of the nn.LSTM char model on random bytes, eager and
    (compiled=True) with its head and loss under torch.compile, checked against
    the eager form (benchmarks/compiled_peers.py) before it is timed."""
    import torch
    import torch.nn.functional as F

    from benchmarks import compiled_peers as cp

    if threads > 0:
        torch.set_num_threads(threads)

    class CharLSTM(torch.nn.Module):
        """loss() is `loss` above, split at the LSTM so the rest can compile."""

        def __init__(self):
            super().__init__()
            self.lstm, self.head = build(layers=layers, hidden=hidden, vocab=vocab)

        def loss(self, b):
            x_BxTxV = F.one_hot(b["ids_BxT1"][:, :-1], vocab).float()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                h_BxTxH, _ = self.lstm(x_BxTxV)
            return self.head_loss(h_BxTxH, b["ids_BxT1"][:, 1:])

        def head_loss(self, h_BxTxH, y_BxT):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits_BxTxV = self.head(h_BxTxH)
            return F.cross_entropy(logits_BxTxV.float().reshape(-1, vocab), y_BxT.reshape(-1))

    def make_step(net, b):
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            value = net.loss(b)
            value.backward()
            opt.step()
            return value

        return step

    def compile_loss(net):
        # torch.compile(net.loss) compiled nothing here: dynamo gives up on the
        # frame at nn.LSTM (and inductor fails on it with allow_rnn), so what a
        # user can compile is the rest, the head and the loss.
        net.head_loss = torch.compile(net.head_loss)

    g = torch.Generator().manual_seed(0)
    b = {"ids_BxT1": torch.randint(0, vocab, (batch, seq + 1), generator=g)}
    forms = {cp.EAGER: lambda net: None}
    if compiled:
        forms["torch.compile"] = compile_loss
    out = cp.time_train_forms(CharLSTM, forms, b, make_step=make_step, warmup=warmup,
                              repeats=repeats)
    return [{**r, **cp.torch_threads(), "version": torch.__version__} for r in out]


def train_step_time(**kw) -> dict:
    """Seconds per Adam step of the eager nn.LSTM char model (train_forms' eager record)."""
    return train_forms(**kw, compiled=False)[0]


def sample_time(*, layers: int, hidden: int, batch: int, vocab: int, length: int,
                threads: int, repeats: int, compiled: bool = True) -> dict:
    """Seconds to sample `length` symbols one step at a time, best of the loops.

    The loops run under inference_mode and feed each sample back: (a)
    nn.LSTM called on one time step (oneDNN disabled, see below), (b) a
    stack of nn.LSTMCell, (c) with compiled=True, (b) with its step under
    torch.compile, checked against (b)'s step first (a form that disagrees
    is recorded under "forms" as failed, not timed). The fastest is the
    peer figure ("the best PyTorch step loop").
    """
    import time

    import torch

    from benchmarks import compiled_peers as cp

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

    def cell_step(x_BxV, hc):
        hc = list(hc)
        for n, cell in enumerate(cells):
            hc[n] = cell(x_BxV, hc[n])
            x_BxV = hc[n][0]
        return torch.softmax(head(x_BxV), -1), hc

    # What a user chasing speed writes: the step compiled, the loop in Python
    # (compiling the loop would unroll `length` steps).
    compiled_step = torch.compile(cell_step)

    def loop_cells(step=cell_step):
        with torch.inference_mode():
            ids_B = torch.zeros(batch, dtype=torch.long)
            hc = [(torch.zeros(batch, hidden), torch.zeros(batch, hidden)) for _ in cells]
            for _ in range(length):
                p_BxV, hc = step(eye_VxV[ids_B], hc)
                ids_B = torch.multinomial(p_BxV, 1)[:, 0]

    def loop_compiled():
        loop_cells(compiled_step)

    def loop_lstm_native():
        # nn.LSTM's default oneDNN path took ~18 ms a step at batch 1 here
        # (against ~3 ms with the native kernels), so it is never the best
        # loop and is not timed: it would take minutes.
        with warnings.catch_warnings():
            # The flags context warns about Intel-GPU TF32, which is moot here.
            warnings.simplefilter("ignore", UserWarning)
            with torch.backends.mkldnn.flags(enabled=False):
                loop_lstm()

    loops = {"nn.LSTM oneDNN off": loop_lstm_native, "nn.LSTMCell": loop_cells}
    results, failed = {}, {}
    if compiled:
        with torch.inference_mode():
            g = torch.Generator().manual_seed(1)
            x_BxV = torch.rand(batch, vocab, generator=g)
            hc = [(torch.rand(batch, hidden, generator=g), torch.rand(batch, hidden, generator=g))
                  for _ in cells]
            want_p, want_hc = cell_step(x_BxV, hc)
            try:
                t0 = time.perf_counter()
                got_p, got_hc = compiled_step(x_BxV, hc)
                compile_s = time.perf_counter() - t0
                bad = cp.mismatch([want_p, *sum(map(list, want_hc), [])],
                                  [got_p, *sum(map(list, got_hc), [])],
                                  ["p"] + [f"{k}{n}" for n in range(layers) for k in "hc"])
            except Exception as e:  # noqa: BLE001 - a failing form is reported, not timed
                bad, compile_s = f"{type(e).__name__}: {str(e)[:300]}", None
        if bad:
            failed["nn.LSTMCell torch.compile"] = f"disagrees with or fails against eager: {bad}"
        else:
            loops["nn.LSTMCell torch.compile"] = loop_compiled
    for name, fn in loops.items():
        results[name] = timing.time_calls(fn, warmup=1, repeats=repeats)
    if compiled and not failed:
        results["nn.LSTMCell torch.compile"]["compile_s"] = compile_s
    best = min(results, key=lambda k: results[k]["median_s"])
    return {**results[best], "loop": best, "forms": {**results, **{
                k: {"failed": v} for k, v in failed.items()}},
            "loops": {k: v["median_s"] for k, v in results.items()},
            **cp.torch_threads(), "version": torch.__version__}
