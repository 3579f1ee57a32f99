"""The fastest form of a PyTorch peer: eager, torch.compile or TorchScript.

A PyTorch user chasing speed does not stop at an eager loop: they compile
the step (torch.compile, inductor on CPU) or script the loop
(torch.jit.script). A peer here is timed in each form it has, and every
table compares seqgen with the fastest. A form counts only if it computes
what the eager form computes: before it is timed, its loss and gradients
(train steps) or its step outputs (sampling) are checked against the eager
form's on the same weights and inputs; one that disagrees, or raises, is a
FAILED row, never dropped.

Compile time is the first call of a compiled form (it compiles there),
timed apart from the steady-state steps, which follow a warm-up.
Compiling a Python loop over 700 time steps would unroll it into one huge
graph, so the handwriting peers compile their per-step function and keep
the loop in Python, or script the whole loop.

torch is optional (the `bench` extra): import this module only when
torch_lstm.available().
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from benchmarks import timing

EAGER = "eager"
# Relative to each tensor's largest magnitude: compiled kernels reorder float32
# sums; 700 recurrent steps of that stay far below this, a wrong formula not.
RTOL = 2e-3


def mismatch(want: Sequence[torch.Tensor], got: Sequence[torch.Tensor], names: Sequence[str],
             rtol: float = RTOL) -> str | None:
    """None when every `got` is within rtol * max|want| of `want`, else what differs."""
    for name, w, g in zip(names, want, got, strict=True):
        if g is None or w is None:
            if g is not w:
                return f"{name}: one form has no value"
            continue
        if w.shape != g.shape:
            return f"{name}: shape {tuple(g.shape)} != {tuple(w.shape)}"
        scale = float(w.abs().max()) or 1.0
        err = float((w.float() - g.float()).abs().max())
        if not err <= rtol * scale:  # also catches nan
            return f"{name}: max |diff| {err:.3g} > {rtol} x {scale:.3g}"
    return None


def loss_and_grads(net: nn.Module, batch: dict) -> tuple[list[torch.Tensor], list[str]]:
    """The loss then every parameter's gradient after one backward pass."""
    net.zero_grad(set_to_none=True)
    loss = net.loss(batch)
    loss.backward()
    names = ["loss"] + [n for n, _ in net.named_parameters()]
    values = [loss.detach()] + [None if p.grad is None else p.grad.detach().clone()
                                for p in net.parameters()]
    net.zero_grad(set_to_none=True)
    return values, names


def time_train_forms(make_net: Callable[[], nn.Module],
                     forms: dict[str, Callable[[nn.Module], None]], batch: dict, *,
                     make_step: Callable, warmup: int, repeats: int) -> list[dict]:
    """One record per form: the check against eager, compile time, step time.

    make_net() builds the eager peer with fixed weights (each call the same);
    forms[name](net) turns it, in place, into that form (EAGER: nothing).
    make_step(net, batch) -> step() is the Adam train step timed.
    """
    want, names = loss_and_grads(make_net(), batch)
    out = []
    for name, convert in forms.items():
        rec: dict = {"form": name}
        try:
            net = make_net()
            convert(net)
            t0 = time.perf_counter()
            got, _ = loss_and_grads(net, batch)  # a compiled form compiles here
            rec["compile_s"] = time.perf_counter() - t0 if name != EAGER else None
            bad = mismatch(want, got, names)
            if bad:
                out.append({**rec, "failed": f"disagrees with the eager peer: {bad}"})
                continue
            rec["max_rel_diff"] = max_rel_diff(want, got)
            rec.update(timing.time_calls(make_step(net, batch), warmup=warmup,
                                         repeats=repeats))
        except Exception as e:  # noqa: BLE001 - a form that fails is a FAILED row
            rec["failed"] = f"{type(e).__name__}: {str(e)[:300]}"
        out.append(rec)
    return out


def max_rel_diff(want: Sequence[torch.Tensor], got: Sequence[torch.Tensor]) -> float:
    """The largest |diff| / max|want| over the tensors, for the record."""
    worst = 0.0
    for w, g in zip(want, got, strict=True):
        if w is not None and g is not None:
            worst = max(worst, float((w - g).abs().max()) / (float(w.abs().max()) or 1.0))
    return worst


def fastest(records: list[dict]) -> dict | None:
    """The timed record with the lowest median, or None when none was timed."""
    timed = [r for r in records if "median_s" in r]
    return min(timed, key=lambda r: r["median_s"]) if timed else None


def torch_threads() -> dict:
    """The threads torch really uses (not what the environment asked for)."""
    return {"threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads()}
