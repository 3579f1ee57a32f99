"""The GEMM bound of a sampling step: how fast a batched step could possibly
be, and so the best seqgen/PyTorch ratio this machine allows.

At batch 64 a sampling step is a few (64 x k) @ (k x n) matmuls plus small
elementwise work; the matmuls cannot go faster than XLA runs those exact
shapes. So: list the matmuls of one step (the *_gemms functions: the shapes of
the one-point paths in seqgen/models/lstm.py and synthesis.py), time each
shape inside a lax.scan of many steps as the sampler runs it (no dispatch
per call, measured in the same process as the step it bounds), and add the
times: that is the fastest step, every non-matmul cost taken as zero.
PyTorch's measured step divided by it is the best possible ratio.

Dimension letters: B batch, H hidden, N layers, V vocabulary, C alphabet,
K window components, M mixture components (6M+1 outputs).
"""

from __future__ import annotations

from benchmarks import timing

# (m, k, n) of every matmul in one sampling step, as seqgen computes it (the
# window's sum over characters, B x U x C, is left out: ~0.1% of the FLOPs).

def text_gemms(*, batch: int, layers: int, hidden: int, vocab: int
               ) -> list[tuple[int, int, int]]:
    """No skips: layer 1's one-hot input is a row gather, so h @ W_h; layers
    2..N are [h^{n-1}, h] @ [W_x; W_h]; the head h^N @ W_y."""
    B, H, G = batch, hidden, 4 * hidden
    return [(B, H, G)] + [(B, 2 * H, G)] * (layers - 1) + [(B, H, vocab)]


def handwriting_gemms(*, batch: int, layers: int, hidden: int, mixtures: int = 20
                      ) -> list[tuple[int, int, int]]:
    """Skips: [x, (h^{n-1},) h] @ [W_x; W_h] per layer; the head reads all N."""
    B, H, G = batch, hidden, 4 * hidden
    return ([(B, 3 + H, G)] + [(B, 3 + 2 * H, G)] * (layers - 1)
            + [(B, layers * H, 6 * mixtures + 1)])


def synthesis_gemms(*, batch: int, layers: int, hidden: int, alphabet: int,
                    window: int = 10, mixtures: int = 20) -> list[tuple[int, int, int]]:
    """Layer 1 [x, w, h]; the window projection of h^1; layers 2..N
    [x, h^{n-1}, w, h]; the head [h^1..h^N, w] (SynthesisModel._first_step)."""
    B, H, G, C = batch, hidden, 4 * hidden, alphabet
    return ([(B, 3 + C + H, G), (B, H, 3 * window)]
            + [(B, 3 + 2 * H + C, G)] * (layers - 1) + [(B, layers * H + C, 6 * mixtures + 1)])


def gemm_in_loop(m: int, k: int, n: int, *, steps: int = 200, repeats: int = 5) -> dict:
    """Seconds per (m x k) @ (k x n) float32 matmul inside a lax.scan of
    `steps` steps; each step's left operand depends on the last product (one
    element), so XLA cannot hoist the matmul out of the loop."""
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.PRNGKey(0), (m, k), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(1), (k, n), jnp.float32)

    @jax.jit
    def loop(a, b):
        def step(a, _):
            out = jnp.dot(a, b, preferred_element_type=jnp.float32)
            return a.at[0, 0].set(out[0, 0] * 1e-3), None
        return jax.lax.scan(step, a, None, length=steps)[0]

    t = timing.time_calls(lambda: loop(a, b).block_until_ready(), warmup=2, repeats=repeats)
    s = t["median_s"] / steps
    return {"shape": [m, k, n], "s": s, "gflops": 2 * m * k * n / s / 1e9,
            "spread_s": [t["p10_s"] / steps, t["p90_s"] / steps]}


def bound(gemms: list[tuple[int, int, int]], *, seqgen_step_s: float,
          pytorch_step_s: float | None, repeats: int = 5) -> dict:
    """The fastest possible step (sum of the in-loop matmul times) and what it
    allows: the best seqgen/PyTorch ratio and how close seqgen is to it."""
    timed: dict[tuple[int, int, int], dict] = {}
    for g in gemms:
        if g not in timed:
            timed[g] = gemm_in_loop(*g, repeats=repeats)
    min_step_s = sum(timed[g]["s"] for g in gemms)
    flop = sum(2 * m * k * n for m, k, n in gemms)
    out = {"gemms": [{**timed[g], "count": gemms.count(g)} for g in timed],
           "flop_per_step": flop, "gflops_at_bound": flop / min_step_s / 1e9,
           "min_step_s": min_step_s, "seqgen_step_s": seqgen_step_s,
           "seqgen_of_bound": min_step_s / seqgen_step_s}
    if pytorch_step_s:
        out["pytorch_step_s"] = pytorch_step_s
        out["best_ratio"] = pytorch_step_s / min_step_s
    return out


def format_bound(what: str, batch: int, b: dict) -> str:
    """The arithmetic in words, as docs/performance.md gives it."""
    parts = " + ".join(f"{g['count']}x {'x'.join(map(str, g['shape']))} "
                       f"{g['s'] * 1e6:.0f} us ({g['gflops']:.0f} GFLOP/s)" for g in b["gemms"])
    line = (f"{what} B={batch}: {b['flop_per_step'] / 1e6:.0f} MFLOP a step = {parts} "
            f"= {b['min_step_s'] * 1e3:.2f} ms at best; seqgen {b['seqgen_step_s'] * 1e3:.2f} ms "
            f"({b['seqgen_of_bound']:.0%} of the bound)")
    if "best_ratio" in b:
        line += (f", PyTorch {b['pytorch_step_s'] * 1e3:.2f} ms -> best possible "
                 f"{b['best_ratio']:.2f}x")
    return line
