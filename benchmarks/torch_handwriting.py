"""The handwriting peers: PyTorch step loops of seqgen's prediction and
synthesis networks, for the sampling benchmark (benchmarks/sampling.py).

The same mathematics as seqgen, written again with torch ops (eager, CPU,
float32, under inference_mode), one Python iteration per pen point:
  cell        Graves' peephole LSTM as lstm.cell_step: ONE gate matmul per
              layer per step ([inputs, h] @ [W_x; W_h] + b), then the
              peepholes w_ci c_{t-1}, w_cf c_{t-1} and w_co c_t (nn.LSTM has
              no peepholes, hence the hand-written cell).
  prediction  handwriting.PredictionModel: with skip connections x feeds
              every layer and every layer feeds the mixture head.
  synthesis   synthesis.SynthesisModel: layer 1 reads [x_t, w_{t-1}], the
              soft window (window.py) reads h^1_t, and w_t feeds layers
              2..N and the head.
  sampling    mdn.sample with Graves' bias: component j ~ softmax(pi_hat (1+b)),
              the offset from the bivariate normal with sigma = exp(sigma_hat - b)
              and correlation rho (Cholesky), eos ~ Bernoulli(sigmoid(e_hat)).
The random streams are torch's, so the points differ from seqgen's; the
distribution is the same. The synthesis loop computes all max_points steps
and skips Graves' stop rule: seqgen's scan also computes every step (it
masks rows that stopped), so the work matches except the rule's own small
K x U log-sum-exp per step, which seqgen pays and the peer does not.
`load_from_seqgen` copies an nnx model's weights in, so tests can check the
peer computes seqgen's numbers.

Dimension letters: B batch, L points sampled, H hidden, G = 4H gates, D a
layer's input features, F features into the head, M mixture components,
Y = 6M+1 mixture outputs, K window components, U characters, C alphabet.
"""

from __future__ import annotations

import math
import time

import numpy as np

from benchmarks import timing

RHO_HAT_MAX = 10.0  # as seqgen/models/mdn.py
LOG_SIGMA_MIN = -10.0


def _torch():
    # torch is optional (the `bench` extra): import it only when used.
    import torch
    return torch


def _uniform(gen, shape, scale):
    torch = _torch()
    return (torch.rand(shape, generator=gen) * 2 - 1) * scale


class PeepholeCell:
    """One layer's weights: w_xh ([D + H] x G, rows of the inputs then of h),
    b (G, gate order i, f, g, o), w_c (3 x H peepholes, or None)."""

    def __init__(self, w_xh, b, w_c):
        self.w_xh, self.b, self.w_c = w_xh, b, w_c

    def __call__(self, xh_BxDH, c_BxH):
        torch = _torch()
        z_BxG = torch.addmm(self.b, xh_BxDH, self.w_xh)
        zi_BxH, zf_BxH, zg_BxH, zo_BxH = z_BxG.chunk(4, dim=1)
        if self.w_c is not None:
            zi_BxH = torch.addcmul(zi_BxH, self.w_c[0], c_BxH)
            zf_BxH = torch.addcmul(zf_BxH, self.w_c[1], c_BxH)
        c_BxH = torch.sigmoid(zf_BxH) * c_BxH + torch.sigmoid(zi_BxH) * torch.tanh(zg_BxH)
        if self.w_c is not None:
            # The output gate peeks at the new cell state (Graves eq. 10).
            zo_BxH = torch.addcmul(zo_BxH, self.w_c[2], c_BxH)
        return torch.sigmoid(zo_BxH) * torch.tanh(c_BxH), c_BxH

    @staticmethod
    def random(gen, in_features: int, hidden: int, peepholes: bool = True,
               scale: float = 0.1, forget_bias: float = 1.0) -> PeepholeCell:
        """seqgen's initialisation: U(-s, s) weights, b_f = forget_bias."""
        torch = _torch()
        b_G = torch.zeros(4 * hidden)
        b_G[hidden:2 * hidden] = forget_bias
        w_c = _uniform(gen, (3, hidden), scale) if peepholes else None
        return PeepholeCell(_uniform(gen, (in_features + hidden, 4 * hidden), scale), b_G, w_c)


def mixture(y_BxY, bias: float):
    """mdn.mixture in torch: (e_hat_B, log_pi_BxM, mu_BxMx2, log_sigma_BxMx2,
    rho_hat_BxM), with Graves' bias and seqgen's two clamps."""
    torch = _torch()
    m = (y_BxY.shape[1] - 1) // 6
    pi_hat, mu1, mu2, s1, s2, rho_hat = y_BxY[:, 1:].split(m, dim=1)
    log_pi_BxM = torch.log_softmax(pi_hat * (1.0 + bias), dim=1)
    log_sigma_BxMx2 = torch.clamp_min(torch.stack([s1, s2], -1) - bias, LOG_SIGMA_MIN)
    return (y_BxY[:, 0], log_pi_BxM, torch.stack([mu1, mu2], -1), log_sigma_BxMx2,
            torch.clamp(rho_hat, -RHO_HAT_MAX, RHO_HAT_MAX))


def draw_points(y_BxY, bias: float, gen):
    """One (dx, dy, eos) per row from the mixture y (mdn.sample's recipe)."""
    torch = _torch()
    e_hat_B, log_pi_BxM, mu_BxMx2, log_sigma_BxMx2, rho_hat_BxM = mixture(y_BxY, bias)
    j_Bx1 = torch.multinomial(log_pi_BxM.exp(), 1, generator=gen)
    j_Bx1x2 = j_Bx1[:, :, None].expand(-1, 1, 2)
    mu_Bx2 = mu_BxMx2.gather(1, j_Bx1x2)[:, 0]
    sigma_Bx2 = log_sigma_BxMx2.gather(1, j_Bx1x2)[:, 0].exp()
    rho_hat_B = rho_hat_BxM.gather(1, j_Bx1)[:, 0]
    n_Bx2 = torch.randn(mu_Bx2.shape, generator=gen)
    # Cholesky factor of [[1, rho], [rho, 1]]; sqrt(1 - rho^2) = 1 / cosh(rho_hat).
    n2_B = torch.tanh(rho_hat_B) * n_Bx2[:, 0] + n_Bx2[:, 1] / torch.cosh(rho_hat_B)
    d_Bx2 = mu_Bx2 + sigma_Bx2 * torch.stack([n_Bx2[:, 0], n2_B], -1)
    eos_B = torch.bernoulli(torch.sigmoid(e_hat_B), generator=gen)
    return torch.cat([d_Bx2, eos_B[:, None]], 1)


class PredictionNet:
    """handwriting.PredictionModel as a torch step function."""

    def __init__(self, cells: list[PeepholeCell], head_w_FxY, head_b_Y, skip: bool = True):
        self.cells, self.head_w, self.head_b, self.skip = cells, head_w_FxY, head_b_Y, skip
        self.hidden = cells[0].w_xh.shape[1] // 4

    def init_state(self, batch: int):
        torch = _torch()
        return [(torch.zeros(batch, self.hidden), torch.zeros(batch, self.hidden))
                for _ in self.cells]

    def step(self, x_Bx3, state):
        """x_t and the carry -> y_t (BxY) and the new carry."""
        torch = _torch()
        hs, new = [], []
        for n, cell in enumerate(self.cells):
            h_BxH, c_BxH = state[n]
            parts = [x_Bx3] if n == 0 else [x_Bx3, hs[-1]] if self.skip else [hs[-1]]
            h_BxH, c_BxH = cell(torch.cat(parts + [h_BxH], 1), c_BxH)
            hs.append(h_BxH)
            new.append((h_BxH, c_BxH))
        f_BxF = torch.cat(hs, 1) if self.skip else hs[-1]
        return torch.addmm(self.head_b, f_BxF, self.head_w), new

    def sample(self, num: int, points: int, bias: float, gen, start_3=None):
        """sample.sample_strokes: float32 [num, points, 3]."""
        torch = _torch()
        x_Bx3 = torch.zeros(num, 3) if start_3 is None else \
            torch.as_tensor(start_3, dtype=torch.float32).expand(num, 3)
        state, xs = self.init_state(num), []
        for _ in range(points):
            y_BxY, state = self.step(x_Bx3, state)
            x_Bx3 = draw_points(y_BxY, bias, gen)
            xs.append(x_Bx3)
        return torch.stack(xs, 1)


class SynthesisNet:
    """synthesis.SynthesisModel (with window.SoftWindow) as a torch step function."""

    def __init__(self, cells: list[PeepholeCell], window_w_Hx3K, window_b_3K, head_w_FxY,
                 head_b_Y, alphabet: int, skip: bool = True):
        self.cells, self.skip, self.alphabet = cells, skip, alphabet
        self.window_w, self.window_b = window_w_Hx3K, window_b_3K
        self.head_w, self.head_b = head_w_FxY, head_b_Y
        self.hidden = cells[0].w_xh.shape[1] // 4
        self.num_window = window_b_3K.shape[0] // 3

    def init_state(self, batch: int):
        """(per-layer (h, c), w_{t-1} BxC, kappa_{t-1} BxK), as init_carry."""
        torch = _torch()
        return ([(torch.zeros(batch, self.hidden), torch.zeros(batch, self.hidden))
                 for _ in self.cells],
                torch.zeros(batch, self.alphabet), torch.zeros(batch, self.num_window))

    def text(self, chars_BxU, mask_BxU):
        """The per-text constants of the window: one-hot chars, mask, u = 1..U."""
        torch = _torch()
        chars_BxU = torch.as_tensor(np.asarray(chars_BxU), dtype=torch.long)
        mask_BxU = torch.as_tensor(np.asarray(mask_BxU), dtype=torch.float32)
        onehot_BxUxC = torch.nn.functional.one_hot(chars_BxU, self.alphabet).float()
        u_U = torch.arange(1, chars_BxU.shape[1] + 1, dtype=torch.float32)
        return onehot_BxUxC, mask_BxU > 0, u_U

    def step(self, x_Bx3, state, text):
        """x_t, the carry and text() -> (y_t, new carry, phi_BxU, kappa_BxK)."""
        torch = _torch()
        layers, w_BxC, kappa_BxK = state
        onehot_BxUxC, keep_BxU, u_U = text
        h_BxH, c_BxH = layers[0]
        h_BxH, c_BxH = self.cells[0](torch.cat([x_Bx3, w_BxC, h_BxH], 1), c_BxH)
        hs, new = [h_BxH], [(h_BxH, c_BxH)]
        a_hat, b_hat, k_hat = torch.addmm(self.window_b, h_BxH, self.window_w).chunk(3, 1)
        kappa_BxK = kappa_BxK + k_hat.exp()
        d_BxKxU = kappa_BxK[:, :, None] - u_U
        # exp(a_hat - beta d^2), as window.phi: no inf * 0 when alpha overflows.
        phi_BxU = (a_hat[:, :, None] - b_hat.exp()[:, :, None] * d_BxKxU.square()).exp().sum(1)
        phi_BxU = torch.where(keep_BxU, phi_BxU, 0.0)
        w_BxC = torch.bmm(phi_BxU[:, None], onehot_BxUxC)[:, 0]
        for n in range(1, len(self.cells)):
            h_BxH, c_BxH = layers[n]
            parts = [x_Bx3, hs[-1], w_BxC] if self.skip else [hs[-1], w_BxC]
            h_BxH, c_BxH = self.cells[n](torch.cat(parts + [h_BxH], 1), c_BxH)
            hs.append(h_BxH)
            new.append((h_BxH, c_BxH))
        f_BxF = torch.cat(hs + [w_BxC], 1) if self.skip else hs[-1]
        y_BxY = torch.addmm(self.head_b, f_BxF, self.head_w)
        return y_BxY, (new, w_BxC, kappa_BxK), phi_BxU, kappa_BxK

    def write(self, chars_BxU, mask_BxU, points: int, bias: float, gen, start_3=None
              ) -> dict:
        """sample.write_strokes without the stop rule: all `points` steps.

        Returns torch tensors strokes_BxLx3, phi_BxLxU, kappa_BxLxK."""
        torch = _torch()
        text = self.text(chars_BxU, mask_BxU)
        B = text[0].shape[0]
        x_Bx3 = torch.zeros(B, 3) if start_3 is None else \
            torch.as_tensor(start_3, dtype=torch.float32).expand(B, 3)
        state, xs, phis, kappas = self.init_state(B), [], [], []
        for _ in range(points):
            y_BxY, state, phi_BxU, kappa_BxK = self.step(x_Bx3, state, text)
            x_Bx3 = draw_points(y_BxY, bias, gen)
            xs.append(x_Bx3)
            phis.append(phi_BxU)
            kappas.append(kappa_BxK)
        return {"strokes_BxLx3": torch.stack(xs, 1), "phi_BxLxU": torch.stack(phis, 1),
                "kappa_BxLxK": torch.stack(kappas, 1)}


# -- seqgen weights in, random weights for timing ------------------------------

def _t(param):
    torch = _torch()
    return torch.from_numpy(np.array(param[...], np.float32))


def _cell_from_seqgen(layer) -> PeepholeCell:
    torch = _torch()
    if layer.opts.matmul_dtype != "float32":
        raise ValueError(f"matmul_dtype={layer.opts.matmul_dtype!r}: the torch peer is "
                         "float32 only; build the seqgen model with the default 'float32'")
    w_c = None if layer.w_c is None else _t(layer.w_c)
    return PeepholeCell(torch.cat([_t(layer.w_x), _t(layer.w_h)], 0), _t(layer.b), w_c)


def load_from_seqgen(model) -> PredictionNet | SynthesisNet:
    """A torch peer holding a copy of a PredictionModel's or SynthesisModel's weights."""
    from seqgen.models.handwriting import PredictionModel
    from seqgen.models.synthesis import SynthesisModel

    if isinstance(model, PredictionModel):
        return PredictionNet([_cell_from_seqgen(layer) for layer in model.lstm.layers],
                             _t(model.head.w), _t(model.head.b), skip=model.lstm.skip)
    if isinstance(model, SynthesisModel):
        return SynthesisNet([_cell_from_seqgen(layer) for layer in model.layers],
                            _t(model.window.w), _t(model.window.b), _t(model.head.w),
                            _t(model.head.b), model.alphabet_size, skip=model.skip)
    raise TypeError(f"{type(model).__name__}: load_from_seqgen takes a PredictionModel or "
                    "a SynthesisModel")


def random_prediction(gen, *, layers: int, hidden: int, mixtures: int) -> PredictionNet:
    """Graves' prediction network (skips, peepholes) with seqgen's initialisation."""
    torch = _torch()
    cells = [PeepholeCell.random(gen, 3 if n == 0 else 3 + hidden, hidden)
             for n in range(layers)]
    y = 6 * mixtures + 1
    return PredictionNet(cells, _uniform(gen, (layers * hidden, y), 0.1), torch.zeros(y))


def random_synthesis(gen, *, layers: int, hidden: int, mixtures: int, window: int,
                     alphabet: int, kappa_step: float = 1 / 25) -> SynthesisNet:
    """Graves' synthesis network (skips, peepholes) with seqgen's initialisation."""
    torch = _torch()
    cells = [PeepholeCell.random(gen, 3 + alphabet if n == 0 else 3 + hidden + alphabet,
                                 hidden) for n in range(layers)]
    window_b = torch.zeros(3 * window)
    window_b[2 * window:] = math.log(kappa_step)
    y = 6 * mixtures + 1
    return SynthesisNet(cells, _uniform(gen, (hidden, 3 * window), 0.1), window_b,
                        _uniform(gen, (layers * hidden + alphabet, y), 0.1), torch.zeros(y),
                        alphabet)


def _timed(fn, repeats: int, loop: str) -> dict:
    torch = _torch()

    def run():
        with torch.inference_mode():
            fn()

    t = timing.time_calls(run, warmup=1, repeats=repeats)
    return {**t, "loop": loop, "threads": torch.get_num_threads(),
            "version": torch.__version__}


def _best_form(net, run, step_args, repeats: int, loop: str, compiled: bool) -> dict:
    """Time run() eager and, with compiled=True, with net.step under
    torch.compile (the loop stays in Python: compiling it would unroll every
    point), after checking the compiled step's outputs against the eager
    step's on step_args; the fastest is the peer figure, every form is kept
    under "forms" (one that disagrees or raises as "failed", untimed)."""
    from torch.utils._pytree import tree_leaves

    from benchmarks import compiled_peers as cp

    torch = _torch()
    forms = {"eager": _timed(run, repeats, loop)}
    if compiled:
        eager_step = net.step
        name = "torch.compile"
        try:
            compiled_step = torch.compile(eager_step)
            with torch.inference_mode():
                want = tree_leaves(eager_step(*step_args))
                t0 = time.perf_counter()
                got = tree_leaves(compiled_step(*step_args))
                compile_s = time.perf_counter() - t0
            bad = cp.mismatch(want, got, [f"output {i}" for i in range(len(want))])
            if bad:
                forms[name] = {"failed": f"disagrees with the eager step: {bad}"}
            else:
                net.step = compiled_step
                forms[name] = {**_timed(run, repeats, loop + ", step under torch.compile"),
                               "compile_s": compile_s}
        except Exception as e:  # noqa: BLE001 - a failing form is reported, not timed
            forms[name] = {"failed": f"{type(e).__name__}: {str(e)[:300]}"}
        finally:
            net.step = eager_step
    best = min((k for k in forms if "median_s" in forms[k]), key=lambda k: forms[k]["median_s"])
    return {**forms[best], "form": best, "forms": forms,
            **cp.torch_threads()}


def _random_state(state, gen):
    torch = _torch()
    from torch.utils._pytree import tree_map
    return tree_map(lambda t: torch.rand(t.shape, generator=gen), state)


def prediction_sample_time(*, layers: int, hidden: int, points: int, threads: int,
                           repeats: int, mixtures: int = 20, bias: float = 0.5,
                           batch: int = 1, compiled: bool = False) -> dict:
    """Seconds to draw `batch` lines of `points` points, one step at a time,
    from the prediction network; the peer of sampling.stroke_sampling
    (compiled=True: also with the step under torch.compile, the faster kept)."""
    torch = _torch()
    if threads > 0:
        torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    net = random_prediction(gen, layers=layers, hidden=hidden, mixtures=mixtures)
    args = (torch.rand(batch, 3, generator=gen), _random_state(net.init_state(batch), gen))
    return _best_form(net, lambda: net.sample(batch, points, bias, gen), args, repeats,
                      "peephole step loop", compiled)


def synthesis_sample_time(*, layers: int, hidden: int, points: int, chars: int,
                          alphabet: int, threads: int, repeats: int, mixtures: int = 20,
                          window: int = 10, bias: float = 0.75, batch: int = 1,
                          compiled: bool = False) -> dict:
    """Seconds to write `batch` lines of `chars` characters, all `points` steps
    (no stop rule), with the synthesis network; the peer of
    sampling.synthesis_sampling (the same random texts; compiled=True: also
    with the step under torch.compile, the faster kept)."""
    torch = _torch()
    if threads > 0:
        torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    net = random_synthesis(gen, layers=layers, hidden=hidden, mixtures=mixtures,
                           window=window, alphabet=alphabet)
    rng = np.random.default_rng(0)
    chars_BxU = rng.integers(1, alphabet, (batch, chars))
    mask_BxU = np.ones((batch, chars), np.float32)
    args = (torch.rand(batch, 3, generator=gen), _random_state(net.init_state(batch), gen),
            net.text(chars_BxU, mask_BxU))
    return _best_form(net, lambda: net.write(chars_BxU, mask_BxU, points, bias, gen), args,
                      repeats, "peephole + window step loop", compiled)
