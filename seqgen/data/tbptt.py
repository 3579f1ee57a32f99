"""Truncated-BPTT batches over one long token stream, and evaluation batches.

Graves (2013) trains on 100-symbol segments and carries the LSTM state from
one segment to the next. For that the token stream is cut into `B` (global
batch size) contiguous streams, one per batch row, and window k of an epoch
gives every stream its next `T` inputs and the `T` targets shifted by one. Row
b of batch k+1 therefore continues exactly where row b of batch k stopped, and
the model may carry row b's state across.

Dims: B global batch size, b = B // process_count rows on this process,
T = seq_len, W = windows per epoch, S = W * T tokens per stream.

Epoch e starts its streams at a random offset drawn from (seed, e), so epochs
see different segment boundaries and row splits; the batch of a step is a pure
function of (tokens, sizes, seed, step), so a resumed run sees exactly the
batches of the uninterrupted run. Everything here is numpy (host side).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from seqgen.command.errors import ConfigError


def _check_sizes(batch_size: int, seq_len: int, process_index: int,
                 process_count: int) -> int:
    """Validates the shape settings and returns the per-process batch size."""
    if batch_size <= 0 or seq_len <= 0:
        raise ConfigError(f"batch_size={batch_size} and seq_len={seq_len} must be "
                         f"positive.")
    if process_count <= 0 or not 0 <= process_index < process_count:
        raise ConfigError(f"process_index={process_index} must be in "
                         f"[0, process_count={process_count}).")
    if batch_size % process_count:
        raise ConfigError(
            f"batch_size={batch_size} is not divisible by process_count="
            f"{process_count}: use a multiple of {process_count} (e.g. "
            f"{(batch_size // process_count + 1) * process_count}).")
    return batch_size // process_count


def _check_tokens(tokens: np.ndarray, split: str) -> np.ndarray:
    tokens = np.asarray(tokens)
    if tokens.ndim != 1:
        raise ConfigError(f"The {split} tokens must be a 1-D array, got shape "
                         f"{tokens.shape}.")
    if tokens.size < 2:
        raise ConfigError(f"The {split} split has {tokens.size} token(s); at least 2 "
                         f"are needed for one prediction: check the data settings "
                         f"(split fractions, file).")
    return tokens


class TBPTTBatcher:
    """Deterministic truncated-BPTT windows with state-carrying rows.

    `batch(step)` returns {'inputs': int32[b, T], 'targets': int32[b, T],
    'reset': bool[b]}; this process's rows are global rows
    [process_index * b, (process_index + 1) * b). `reset` is True when the
    carried state must be zeroed before the window: at the first window of
    every epoch and, if `reset_every > 0`, every `reset_every` windows.
    """

    def __init__(self, tokens: np.ndarray, batch_size: int, seq_len: int, *,
                 seed: int, reset_every: int = 0, process_index: int = 0,
                 process_count: int = 1, split: str = "train"):
        self.tokens = _check_tokens(tokens, split)
        self.local_batch_size = _check_sizes(batch_size, seq_len, process_index,
                                             process_count)
        if reset_every < 0:
            raise ConfigError(f"reset_every={reset_every} must be >= 0 (0: reset only "
                             f"at the start of an epoch).")
        self.batch_size = batch_size
        self.seq_len = seq_len
        self.seed = int(seed)
        self.reset_every = reset_every
        self.process_index = process_index
        self.process_count = process_count

        predictions = self.tokens.size - 1  # every token but the first is a target
        if batch_size * seq_len > predictions:
            raise ConfigError(
                f"The {split} split has {self.tokens.size} tokens, too few for "
                f"batch_size={batch_size} streams of seq_len={seq_len} (needs at least "
                f"{batch_size * seq_len + 1}): use seq_len <= "
                f"{predictions // batch_size} or batch_size <= "
                f"{predictions // seq_len}.")
        # Keep at least one window of slack so that the random start offset
        # changes the segment boundaries between epochs; a split too small for
        # that gets the windows instead and identical epochs.
        windows = (predictions - seq_len) // (batch_size * seq_len)
        self.windows_per_epoch = max(windows, 1)
        self.stream_len = self.windows_per_epoch * seq_len
        self.max_offset = predictions - batch_size * self.stream_len
        rows = np.arange(process_index * self.local_batch_size,
                         (process_index + 1) * self.local_batch_size)
        self._row_starts = rows * self.stream_len

    def epoch_offset(self, epoch: int) -> int:
        """Where the streams of `epoch` start in the token array."""
        rng = np.random.default_rng([self.seed % 2**63, epoch])
        return int(rng.integers(0, self.max_offset + 1))

    def batch(self, step: int) -> dict[str, np.ndarray]:
        if step < 0:
            raise ConfigError(f"step={step} must be >= 0.")
        epoch, window = divmod(step, self.windows_per_epoch)
        starts = self.epoch_offset(epoch) + self._row_starts + window * self.seq_len
        # One gather of T + 1 tokens per row: inputs and targets share T of them.
        idx_bxt1 = starts[:, None] + np.arange(self.seq_len + 1)[None, :]
        chunk_bxt1 = self.tokens[idx_bxt1].astype(np.int32)
        reset = window == 0 or (self.reset_every > 0 and window % self.reset_every == 0)
        return {
            "inputs": chunk_bxt1[:, :-1],
            "targets": chunk_bxt1[:, 1:],
            "reset": np.full(self.local_batch_size, reset, dtype=bool),
        }


def num_eval_batches(num_tokens: int, batch_size: int, seq_len: int) -> int:
    """How many batches `eval_batches` yields for a split of `num_tokens`."""
    if num_tokens < 2:
        raise ConfigError(f"A split of {num_tokens} token(s) has no prediction to "
                         f"evaluate: check the data settings.")
    _check_sizes(batch_size, seq_len, 0, 1)
    longest_row = -(-(num_tokens - 1) // batch_size)
    return -(-longest_row // seq_len)


def eval_batches(tokens: np.ndarray, batch_size: int, seq_len: int, *,
                 process_index: int = 0, process_count: int = 1,
                 split: str = "eval") -> Iterator[dict[str, np.ndarray]]:
    """Every prediction of `tokens` exactly once, with state carried across windows.

    The len(tokens) - 1 predictions are cut into `batch_size` contiguous
    streams whose lengths differ by at most one; each stream is read in
    windows of `seq_len`; positions past a stream's end are padding with
    mask 0 (inputs and targets 0). `reset` is True only on the first window.
    Yields {'inputs', 'targets': int32[b, T], 'mask': float32[b, T],
    'reset': bool[b]}, rows sharded across processes like `TBPTTBatcher`.
    """
    tokens = _check_tokens(tokens, split)
    b = _check_sizes(batch_size, seq_len, process_index, process_count)
    predictions = tokens.size - 1
    rows = np.arange(process_index * b, (process_index + 1) * b)
    row_start = rows * predictions // batch_size
    row_end = (rows + 1) * predictions // batch_size
    t = np.arange(seq_len)
    for k in range(num_eval_batches(tokens.size, batch_size, seq_len)):
        pos_bxt = row_start[:, None] + k * seq_len + t[None, :]
        valid_bxt = pos_bxt < row_end[:, None]
        # Padded positions read token 0 and are masked out.
        pos_bxt = np.where(valid_bxt, pos_bxt, 0)
        yield {
            "inputs": np.where(valid_bxt, tokens[pos_bxt], 0).astype(np.int32),
            "targets": np.where(valid_bxt, tokens[pos_bxt + 1], 0).astype(np.int32),
            "mask": valid_bxt.astype(np.float32),
            "reset": np.full(b, k == 0, dtype=bool),
        }
