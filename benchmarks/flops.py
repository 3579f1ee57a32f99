"""Matmul FLOPs of a train step of a stacked LSTM, counted by hand.

Only matmuls are counted (elementwise gates, softmax and the optimizer are
left out, as in nanoGPT's MFU and the peers' figures). A matmul of an MxK by
a KxN matrix is 2*M*K*N FLOPs; its backward pass needs two matmuls of the
same size (the input and the weight gradient), so a train step is 3x the
forward pass.

Forward pass of an N-layer LSTM with H cells, B sequences of T steps:

  forward = 2*B*T * ( sum_n (D_n + H) * 4H  +  F * Y )

D_n is layer n's input width, F
the features the output layer reads (H, or N*H with skip connections) and
Y the outputs (V logits, or 6M+1 mixture parameters). Synthesis adds the
window projection (H -> 3K) and the window read phi @ c (U -> C) to that.

The text models' one-hot input is counted as what seqgen does with it, a
gather of rows of W_x (no FLOPs), for every implementation alike: the
peers' one-hot V x 4H matmul is work they choose to do, and one count for
both sides keeps the GFLOP/s figures in the ratio of the speeds.

Example, the text model (2x512, no skips, V=205, B=32, T=100):
2*3200*(512*2048 + (512+512)*2048 + 512*205) = 20.8 GFLOP forward,
62.4 GFLOP a train step (70.5 if the one-hot matmul were counted).
"""

from __future__ import annotations


def lstm_forward_flops(batch: int, seq: int, in_features: int, hidden: int,
                       num_layers: int, out_features: int, *, skip: bool,
                       extra_in: int = 0, extra_out: int = 0,
                       gathered_input: bool = False) -> int:
    """Matmul FLOPs of one forward pass over batch x seq steps.

    extra_in: input width every layer gets besides x and h^{n-1}, and
    extra_out: width the output layer reads besides the layers (both the
    synthesis window w_t, C wide). gathered_input: layer 1's x is one-hot and
    read as a gather of W_x's rows, no matmul (text).
    """
    g = 4 * hidden
    x_width = 0 if gathered_input else in_features  # with skips x feeds every layer
    per_step = 0
    for n in range(num_layers):
        if n == 0:
            d = x_width + extra_in
        else:
            d = (x_width + extra_in + hidden) if skip else (hidden + extra_in)
        per_step += (d + hidden) * g
    per_step += ((num_layers * hidden + extra_out) if skip else hidden) * out_features
    return 2 * batch * seq * per_step


def train_step_flops(forward: int | None) -> int | None:
    """Forward + backward: every matmul has two of its size in the backward."""
    return None if forward is None else 3 * forward


def window_forward_flops(batch: int, seq: int, hidden: int, num_window: int,
                         text_len: int, alphabet: int) -> int:
    """Synthesis window: h^1 @ W (H -> 3K) and phi @ c (U -> C), per step."""
    return 2 * batch * seq * (hidden * 3 * num_window + text_len * alphabet)


def _text(kind, batch_np: dict) -> int:
    m, (batch, seq) = kind.config.model, batch_np["inputs"].shape
    V = kind.vocab.size
    return lstm_forward_flops(batch, seq, V, m.hidden, m.num_layers, V, skip=m.skip,
                              gathered_input=True)


def _handwriting(kind, batch_np: dict) -> int:
    m, (batch, seq, _) = kind.config.model, batch_np["inputs"].shape
    return lstm_forward_flops(batch, seq, 3, m.hidden, m.num_layers, 6 * m.num_mixtures + 1,
                              skip=m.skip)


def _synthesis(kind, batch_np: dict) -> int:
    m, (batch, seq, _) = kind.config.model, batch_np["inputs"].shape
    C, U = kind.alphabet.size, batch_np["chars"].shape[1]
    return (lstm_forward_flops(batch, seq, 3, m.hidden, m.num_layers, 6 * m.num_mixtures + 1,
                               skip=m.skip, extra_in=C, extra_out=C)
            + window_forward_flops(batch, seq, m.hidden, m.num_window, U, C))


# kind -> forward matmul FLOPs of its model on a batch; a kind without an
# entry gets no GFLOP/s figure.
FORWARD = {"text": _text, "handwriting": _handwriting, "synthesis": _synthesis}


def forward_flops(kind, batch_np: dict) -> int | None:
    """Matmul FLOPs of one forward pass of `kind`'s model over `batch_np`."""
    count = FORWARD.get(kind.config.kind)
    return count(kind, batch_np) if count else None
