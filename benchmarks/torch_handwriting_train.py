"""The handwriting train-step peers in PyTorch, for `throughput --compare`.

What a PyTorch user would run for Graves' prediction and synthesis networks:
eager mode, CPU, float32, torch.optim.Adam (lr 2e-3, as seqgen's benchmark
config), one full step = forward, loss, backward, update.
  prediction  a stack of N `nn.LSTM(.., H)` layers with Graves' skip
              connections (x feeds every layer, every layer feeds the head),
              then nn.Linear to the 6M+1 mixture outputs. Without skips, one
              nn.LSTM(num_layers=N) and a head on the last layer.
  synthesis   layer 1 and the soft window need a Python loop over time (w_t
              feeds layer 1 at t+1), so layer 1 is an `nn.LSTMCell` stepped
              with the window maths of seqgen/models/window.py; layers 2..N
              read [x, h^1, w] (or [h^{n-1}, w] without skips) and, having no
              feedback, run as `nn.LSTM` over the whole sequence (oneDNN's
              fused kernel), then the head reads [h^1..h^N, w]. That is the
              fastest honest PyTorch formulation: only what must step, steps.
  loss        Graves' mixture NLL (bivariate normals + Bernoulli end of
              stroke) as seqgen/models/mdn.py defines it, in log space with
              the same two clamps, mean nats per unmasked point as
              kinds/handwriting.mixture_loss; the mixture split is
              torch_handwriting.mixture.
Differences from seqgen, all in the peer's favour: nn.LSTM and nn.LSTMCell
have no peepholes (seqgen's Graves cell has three per layer), and the peer
has no derivative clipping (seqgen clips pre-activation and output
derivatives, Graves' [-10, 10] and [-100, 100]). Weights use PyTorch's
default initialisation (the k_hat bias of the window starts at log(1/25) as
seqgen's); the numbers the timed step sees do not change its cost.
Each peer is also timed in the forms a PyTorch user chasing speed would
write (benchmarks/compiled_peers.py checks each against the eager form
before timing it): prediction with its loss under torch.compile;
synthesis with its per-step function (layer 1 + window) and mixture loss
under torch.compile, and with its whole time loop under torch.jit.script.
torch is optional (the `bench` extra): import this module only when
torch_lstm.available(). `copy_seqgen_weights` loads a peephole-free seqgen model, so the tests can
check the peers compute seqgen's network and loss.

Dimension letters: B batch, T time, H hidden, M mixture components, Y = 6M+1
mixture outputs, K window components, U characters, C alphabet, R = B*T rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks import compiled_peers as cp
from benchmarks import torch_handwriting as th

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)
_SQRT_HALF = math.sqrt(0.5)


def mixture_nll(y_BxTxY: torch.Tensor, x_BxTx3: torch.Tensor, mask_BxT: torch.Tensor
                ) -> torch.Tensor:
    """Mean negative log-likelihood per unmasked point, nats (mdn.log_likelihood)."""
    y_RxY = y_BxTxY.reshape(-1, y_BxTxY.shape[-1])
    x_Rx3 = x_BxTx3.reshape(-1, 3)
    e_hat_R, log_pi_RxM, mu_RxMx2, log_sigma_RxMx2, rho_hat_RxM = th.mixture(y_RxY, 0.0)
    # mdn.component_log_density: the quadratic form in rotated coordinates
    # with 1 -+ rho = 2 sigmoid(-+2 rho_hat), exact in float32 as |rho| -> 1.
    z_RxMx2 = (x_Rx3[:, None, :2] - mu_RxMx2) * torch.exp(-log_sigma_RxMx2)
    u_RxM = (z_RxMx2[..., 0] + z_RxMx2[..., 1]) * _SQRT_HALF
    v_RxM = (z_RxMx2[..., 0] - z_RxMx2[..., 1]) * _SQRT_HALF
    log_1m_rho = _LOG_2 + F.logsigmoid(-2.0 * rho_hat_RxM)
    log_1p_rho = _LOG_2 + F.logsigmoid(2.0 * rho_hat_RxM)
    quad_RxM = u_RxM.square() * torch.exp(-log_1p_rho) + v_RxM.square() * torch.exp(-log_1m_rho)
    log_n_RxM = (-_LOG_2PI - log_sigma_RxMx2[..., 0] - log_sigma_RxMx2[..., 1]
                 - 0.5 * (log_1m_rho + log_1p_rho) - 0.5 * quad_RxM)
    log_offset_R = torch.logsumexp(log_pi_RxM + log_n_RxM, dim=-1)
    eos_R = x_Rx3[:, 2]
    log_eos_R = eos_R * F.logsigmoid(e_hat_R) + (1.0 - eos_R) * F.logsigmoid(-e_hat_R)
    mask_R = mask_BxT.reshape(-1)
    return -((log_offset_R + log_eos_R) * mask_R).sum() / mask_R.sum().clamp_min(1.0)


class PredictionPeer(nn.Module):
    """x_BxTx3 -> y_BxTxY through N nn.LSTM layers (skips: Graves eqs. 1-5)."""

    def __init__(self, *, layers: int, hidden: int, mixtures: int, skip: bool = True):
        super().__init__()
        self.skip = skip
        if skip:
            self.lstms = nn.ModuleList([nn.LSTM(3 if n == 0 else 3 + hidden, hidden,
                                                batch_first=True) for n in range(layers)])
        else:
            self.lstms = nn.ModuleList([nn.LSTM(3, hidden, num_layers=layers,
                                                batch_first=True)])
        self.head = nn.Linear(hidden * (layers if skip else 1), 6 * mixtures + 1)

    def forward(self, x_BxTx3):
        if not self.skip:
            return self.head(self.lstms[0](x_BxTx3)[0])
        hs = []
        for n, lstm in enumerate(self.lstms):
            h_BxTxH, _ = lstm(x_BxTx3 if n == 0 else torch.cat([x_BxTx3, hs[-1]], -1))
            hs.append(h_BxTxH)
        return self.head(torch.cat(hs, -1))

    def loss(self, batch: dict):
        return mixture_nll(self(batch["inputs"]), batch["targets"], batch["mask"])


class SynthesisPeer(nn.Module):
    """(x_BxTx3, text) -> y_BxTxY: nn.LSTMCell + soft window stepped, then nn.LSTMs."""

    def __init__(self, *, layers: int, hidden: int, mixtures: int, window: int,
                 alphabet: int, skip: bool = True, kappa_step: float = 1 / 25):
        super().__init__()
        H, C = hidden, alphabet
        self.skip, self.alphabet = skip, alphabet
        self.cell = nn.LSTMCell(3 + C, H)  # reads [x_t, w_{t-1}]
        self.window = nn.Linear(H, 3 * window)
        with torch.no_grad():
            self.window.bias[2 * window:] = math.log(kappa_step)
        d = 3 + H + C if skip else H + C
        self.lstms = nn.ModuleList([nn.LSTM(d, H, batch_first=True)
                                    for _ in range(layers - 1)])
        self.head = nn.Linear(H * layers + C if skip else H, 6 * mixtures + 1)
        self.nll = mixture_nll  # the compiled forms swap in compiled copies

    def window_step(self, x_Bx3, h_BxH, c_BxH, w_BxC, kappa_BxK, onehot_BxUxC, keep_BxU,
                    u_U):
        """One time step of layer 1 and the soft window: the part that must step."""
        h_BxH, c_BxH = self.cell(torch.cat([x_Bx3, w_BxC], 1), (h_BxH, c_BxH))
        a_hat, b_hat, k_hat = self.window(h_BxH).chunk(3, 1)
        kappa_BxK = kappa_BxK + k_hat.exp()
        d_BxKxU = kappa_BxK[:, :, None] - u_U
        # exp(a_hat - beta d^2), as window.phi: no inf * 0 when alpha overflows.
        phi_BxU = (a_hat[:, :, None] - b_hat.exp()[:, :, None] * d_BxKxU.square()
                   ).exp().sum(1)
        phi_BxU = torch.where(keep_BxU, phi_BxU, 0.0)
        w_BxC = torch.bmm(phi_BxU[:, None], onehot_BxUxC)[:, 0]
        return h_BxH, c_BxH, w_BxC, kappa_BxK

    def window_loop(self, x_BxTx3, onehot_BxUxC, keep_BxU, u_U):
        """Layer 1 and the window over the sequence: (h1_BxTxH, w_BxTxC)."""
        B = x_BxTx3.shape[0]
        h_BxH = c_BxH = torch.zeros(B, self.cell.hidden_size)
        w_BxC = torch.zeros(B, self.alphabet)
        kappa_BxK = torch.zeros(B, self.window.out_features // 3)
        h1s, ws = [], []
        # unbind once: indexing x (or anything needing gradients) inside the
        # loop would make the backward pass grow with T^2.
        for x_Bx3 in x_BxTx3.unbind(1):
            h_BxH, c_BxH, w_BxC, kappa_BxK = self.window_step(
                x_Bx3, h_BxH, c_BxH, w_BxC, kappa_BxK, onehot_BxUxC, keep_BxU, u_U)
            h1s.append(h_BxH)
            ws.append(w_BxC)
        return torch.stack(h1s, 1), torch.stack(ws, 1)

    def forward(self, x_BxTx3, chars_BxU, char_mask_BxU):
        onehot_BxUxC = F.one_hot(chars_BxU.long(), self.alphabet).float()
        keep_BxU = char_mask_BxU > 0
        u_U = torch.arange(1, chars_BxU.shape[1] + 1, dtype=torch.float32)
        h1_BxTxH, w_BxTxC = self.window_loop(x_BxTx3, onehot_BxUxC, keep_BxU, u_U)
        hs = [h1_BxTxH]
        for lstm in self.lstms:
            parts = [x_BxTx3, hs[-1], w_BxTxC] if self.skip else [hs[-1], w_BxTxC]
            hs.append(lstm(torch.cat(parts, -1))[0])
        return self.head(torch.cat(hs + [w_BxTxC], -1) if self.skip else hs[-1])

    def loss(self, batch: dict):
        y_BxTxY = self(batch["inputs"], batch["chars"], batch["char_mask"])
        return self.nll(y_BxTxY, batch["targets"], batch["mask"])


def tensors(batch_np: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """the kind's example batch as float32 / int64 tensors (no `reset`)."""
    return {k: torch.as_tensor(np.asarray(v, np.int64 if k == "chars" else np.float32))
            for k, v in batch_np.items() if k != "reset"}


def make_train_step(net: nn.Module, batch: dict[str, torch.Tensor], *, lr: float = 2e-3
                    ) -> Callable[[], torch.Tensor]:
    """step() -> the loss before the update: zero_grad, forward, backward, Adam."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = net.loss(batch)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def scripted_window_loop(x_BxTx3: torch.Tensor, onehot_BxUxC: torch.Tensor,
                         keep_BxU: torch.Tensor, u_U: torch.Tensor, w_ih: torch.Tensor,
                         w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor,
                         win_w: torch.Tensor, win_b: torch.Tensor
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """SynthesisPeer.window_loop as one TorchScript function (torch.jit.script
    of it runs the loop in the graph executor, not in Python)."""
    B, H = x_BxTx3.shape[0], w_hh.shape[1]
    h_BxH = torch.zeros(B, H)
    c_BxH = torch.zeros(B, H)
    w_BxC = torch.zeros(B, onehot_BxUxC.shape[2])
    kappa_BxK = torch.zeros(B, win_w.shape[0] // 3)
    h1s: list[torch.Tensor] = []
    ws: list[torch.Tensor] = []
    for x_Bx3 in x_BxTx3.unbind(1):
        h_BxH, c_BxH = torch.lstm_cell(torch.cat([x_Bx3, w_BxC], 1), [h_BxH, c_BxH],
                                       w_ih, w_hh, b_ih, b_hh)
        a_hat, b_hat, k_hat = F.linear(h_BxH, win_w, win_b).chunk(3, 1)
        kappa_BxK = kappa_BxK + k_hat.exp()
        d_BxKxU = kappa_BxK[:, :, None] - u_U
        phi_BxU = (a_hat[:, :, None] - b_hat.exp()[:, :, None] * d_BxKxU.square()
                   ).exp().sum(1)
        phi_BxU = torch.where(keep_BxU, phi_BxU, torch.zeros_like(phi_BxU))
        w_BxC = torch.bmm(phi_BxU[:, None], onehot_BxUxC)[:, 0]
        h1s.append(h_BxH)
        ws.append(w_BxC)
    return torch.stack(h1s, 1), torch.stack(ws, 1)


def _compile_synthesis(net: SynthesisPeer) -> None:
    # The per-step function, not the 700-step loop (that would unroll), and
    # the mixture loss; nn.LSTM layers stay oneDNN's fused kernel.
    net.window_step = torch.compile(net.window_step)
    net.nll = torch.compile(mixture_nll)


def _script_synthesis(net: SynthesisPeer) -> None:
    loop = torch.jit.script(scripted_window_loop)
    c, w = net.cell, net.window
    net.window_loop = lambda x, onehot, keep, u: loop(
        x, onehot, keep, u, c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh, w.weight, w.bias)


def _compile_loss(net: nn.Module) -> None:
    # No Python time loop here: the whole loss compiles as one function
    # (dynamo leaves nn.LSTM to its fused kernel).
    net.loss = torch.compile(net.loss)


SYNTHESIS_FORMS = {cp.EAGER: lambda net: None, "torch.compile": _compile_synthesis,
                   "jit.script": _script_synthesis}
PREDICTION_FORMS = {cp.EAGER: lambda net: None, "torch.compile": _compile_loss}


def _forms(make_net, forms: dict, batch_np: dict, threads: int, warmup: int, repeats: int,
           compiled: bool) -> list[dict]:
    if threads > 0:
        torch.set_num_threads(threads)
    forms = forms if compiled else {cp.EAGER: forms[cp.EAGER]}
    out = cp.time_train_forms(make_net, forms, tensors(batch_np), make_step=make_train_step,
                              warmup=warmup, repeats=repeats)
    return [{**r, **cp.torch_threads(), "version": torch.__version__} for r in out]


def prediction_train_forms(batch_np: dict[str, np.ndarray], *, layers: int, hidden: int,
                           threads: int, warmup: int, repeats: int, mixtures: int = 20,
                           skip: bool = True, compiled: bool = True) -> list[dict]:
    """Adam steps of PredictionPeer on the kind's example batch, eager and
    (compiled=True) under torch.compile: one checked, timed record each."""
    def make_net():
        torch.manual_seed(0)
        return PredictionPeer(layers=layers, hidden=hidden, mixtures=mixtures, skip=skip)

    return _forms(make_net, PREDICTION_FORMS, batch_np, threads, warmup, repeats, compiled)


def synthesis_train_forms(batch_np: dict[str, np.ndarray], *, layers: int, hidden: int,
                          alphabet: int, threads: int, warmup: int, repeats: int,
                          mixtures: int = 20, window: int = 10, skip: bool = True,
                          compiled: bool = True) -> list[dict]:
    """Adam steps of SynthesisPeer, eager and (compiled=True) with its step
    under torch.compile and its loop under torch.jit.script."""
    def make_net():
        torch.manual_seed(0)
        return SynthesisPeer(layers=layers, hidden=hidden, mixtures=mixtures, window=window,
                             alphabet=alphabet, skip=skip)

    return _forms(make_net, SYNTHESIS_FORMS, batch_np, threads, warmup, repeats, compiled)


# -- seqgen weights in (tests) -------------------------------------------------

def _set(param, value) -> None:
    with torch.no_grad():
        param.copy_(torch.from_numpy(np.array(value[...], np.float32)))


def _copy_layer(layer, w_ih, w_hh, b_ih, b_hh) -> None:
    # seqgen's gate order (i, f, g, o) is torch's; torch adds two biases.
    if layer.w_c is not None:
        raise ValueError("the torch peers have no peepholes: build the seqgen model with "
                         "lstm.LSTMOptions(peepholes=False)")
    _set(w_ih, np.asarray(layer.w_x[...]).T)
    _set(w_hh, np.asarray(layer.w_h[...]).T)
    _set(b_ih, layer.b)
    _set(b_hh, np.zeros(b_hh.shape, np.float32))


def copy_seqgen_weights(peer: PredictionPeer | SynthesisPeer, model) -> None:
    """Load a peephole-free PredictionModel / SynthesisModel into its peer."""
    if isinstance(peer, PredictionPeer):
        layers, head = model.lstm.layers, model.head
        for n, layer in enumerate(layers):
            lstm, i = (peer.lstms[n], 0) if peer.skip else (peer.lstms[0], n)
            _copy_layer(layer, *(getattr(lstm, f"{p}_l{i}") for p in
                                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    else:
        layers, head = model.layers, model.head
        c = peer.cell
        _copy_layer(layers[0], c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh)
        for layer, lstm in zip(layers[1:], peer.lstms, strict=True):
            _copy_layer(layer, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0,
                        lstm.bias_hh_l0)
        _set(peer.window.weight, np.asarray(model.window.w[...]).T)
        _set(peer.window.bias, model.window.b)
    _set(peer.head.weight, np.asarray(head.w[...]).T)
    _set(peer.head.bias, head.b)
