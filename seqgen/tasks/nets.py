"""The nets a task compares, built from a config: the 1997 LSTM, the
forget-gate LSTM and the tanh RNN, each with its own learning rate."""

from __future__ import annotations

from collections.abc import Callable

import ml_collections
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.config.tasks import MODELS
from seqgen.models import lstm
from seqgen.tasks import lstm1997, rnn


def factory(config: ml_collections.ConfigDict, name: str, num_inputs: int,
            num_outputs: int) -> Callable[[nnx.Rngs], nnx.Module]:
    """rngs -> a fresh net `name` for D inputs and K outputs."""
    if name not in MODELS:
        raise ConfigError(f"model {name!r} is unknown; use one of {MODELS}")
    D, K = num_inputs, num_outputs
    m = config[name]
    if name == "lstm1997":
        opts = lstm1997.LSTM1997Options(
            num_blocks=m.num_blocks, block_size=m.block_size, cell_bias=m.cell_bias,
            gate_bias=m.gate_bias, output_bias=m.output_bias,
            input_to_output=m.input_to_output, init_scale=m.init_scale,
            in_gate_bias=tuple(float(b) for b in m.in_gate_bias),
            out_gate_bias=tuple(float(b) for b in m.out_gate_bias),
            g_range=m.g_range, h_range=m.h_range, truncate=m.truncate,
            recurrent=m.recurrent)
        for field, b in (("in_gate_bias", opts.in_gate_bias),
                         ("out_gate_bias", opts.out_gate_bias)):
            if b and len(b) != opts.num_blocks:
                raise ConfigError(f"config.lstm1997.{field} has {len(b)} values for "
                                  f"num_blocks={opts.num_blocks}; give one per block or ()")
        return lambda rngs: lstm1997.LSTM1997(D, K, opts, rngs=rngs)
    if name == "lstm":
        opts = lstm.LSTMOptions(peepholes=m.peepholes, forget_bias=m.forget_bias,
                                init_scale=m.init_scale)
        return lambda rngs: lstm1997.ForgetGateLSTM(
            D, K, m.hidden, opts, output_bias=m.output_bias,
            input_to_output=m.input_to_output, in_gate_bias=m.in_gate_bias, rngs=rngs)
    return lambda rngs: rnn.TanhRNN(D, K, m.hidden, init_scale=m.init_scale,
                                    output_bias=m.output_bias,
                                    input_to_output=m.input_to_output, rngs=rngs)


def describe(config: ml_collections.ConfigDict, name: str) -> str:
    """A short label of the net's shape, for the report."""
    m = config[name]
    if name == "lstm1997":
        return f"LSTM 1997, {m.num_blocks} blocks x {m.block_size}"
    if name == "lstm":
        return f"LSTM + forget gate, {m.hidden} cells"
    return f"tanh RNN, {m.hidden} units"
