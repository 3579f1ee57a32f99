"""The Kind contract: everything train.py, evaluate.py, sample.py, write.py and
the benchmarks ask of a kind of experiment, and the plumbing kinds share.

`Kind` (a Protocol) is the contract; `kinds.get` checks a kind module's class
against it when the module is loaded, so a missing method is one line at
start-up, not a crash an hour into a run. `Base` gives a new kind the
shared parts: meta handling, the per-process batcher cache behind
`train_batch` / `windows_per_epoch`, and defaults for the optional methods.

A batch is a dict of host numpy arrays whose first axis is the batch; it
holds at least `reset` (bool[B]: the row's stream starts anew, so its
carried state is reset). `loss_fn` returns per-batch sums that add up
across batches; they hold 'nll' (nats summed over targets) and 'count'
(targets), and the train step differentiates sums['nll'] so that Graves'
derivative clipping acts on summed, not averaged, losses.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any, ClassVar, Protocol, runtime_checkable

import jax
import ml_collections
import numpy as np
from flax import nnx

from seqgen.command.errors import UserError

Batch = dict[str, np.ndarray]


@runtime_checkable
class Kind(Protocol):
    """What a kind module's `Kind` class provides (constructor: Kind(config, meta))."""

    config: ml_collections.ConfigDict
    # JSON-safe facts saved with every checkpoint (e.g. the vocabulary), enough
    # to rebuild the model without the dataset.
    meta: dict
    units: str  # what one count is, for throughput ('chars', 'points')

    @classmethod
    def default_config(cls) -> ml_collections.ConfigDict:
        """The kind's base config: every field it reads, each documented
        (config files start from it; benchmarks size it with flags)."""

    @classmethod
    def example_meta(cls, config: ml_collections.ConfigDict, **sizes: int) -> dict:
        """Meta of made-up data, so a test or a benchmark builds the model
        without the dataset; `sizes` (vocab=, alphabet=, ...) the kind may use."""

    def example_batch(self, batch_size: int, length: int | None = None,
                      **sizes: int) -> Batch:
        """A random training batch of the real shapes and dtypes (seed 0)."""

    def load_data(self) -> None:
        """Host side: reads (prepares on first use) the dataset; fills meta."""

    def build_model(self, rngs: nnx.Rngs) -> nnx.Module:
        """The network; it has .init_carry(batch_size)."""

    def loss_fn(self, model: nnx.Module, carry: Any, batch: Batch
                ) -> tuple[jax.Array, tuple[dict, Any]]:
        """(loss, (sums, new_carry)); see the module docstring for sums."""

    def report(self, sums: dict) -> dict[str, float]:
        """Metrics derived from summed sums (bpc, nats_per_line, ...)."""

    def train_batch(self, step: int, process_index: int, process_count: int) -> Batch:
        """This process's rows of the global batch of `step` (a pure function
        of the step, so a resumed run sees the same batches)."""

    def windows_per_epoch(self) -> int:
        """Train steps in one pass over the training set."""

    def eval_batches(self, split: str, batch_size: int, process_index: int,
                     process_count: int) -> Iterator[Batch]:
        """Every target of `split` once, this process's rows."""

    def write_samples(self, model: nnx.Module, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        """Process 0 at each evaluation: samples under workdir/samples/;
        returns {'summary': str, **scalar metrics}."""

    def sample_command(self, model: nnx.Module, opts: dict) -> str:
        """What `python -m seqgen.sample` prints (and writes) for this kind."""


@runtime_checkable
class Writer(Protocol):
    """A kind that writes given text by hand (`python -m seqgen.write`)."""

    def write(self, model: nnx.Module, texts: list[str], bias: float, rng: jax.Array,
              prime: tuple[np.ndarray, str] | None = None, *, chars: int | None = None
              ) -> dict:
        """Each text as one line: strokes in raw units plus the alignment.
        `chars` (>= the longest text) sizes the sampler as if the longest
        text were that long: one compiled sampler per page size
        (seqgen/handwriting/page_sizes.py)."""

    def style_line(self, index: int) -> tuple[np.ndarray, str]:
        """(strokes, text) of validation line `index`, to prime a style with."""


@runtime_checkable
class Reader(Protocol):
    """A kind that reads handwriting as text (`python -m seqgen.read`)."""

    def read(self, model: nnx.Module, lines: list[np.ndarray]) -> list[str]:
        """The text of each line (raw units, rows (dx, dy, pen-up))."""

    def read_metrics(self, model: nnx.Module, split: str) -> dict[str, float]:
        """Character and word error rates of reading every line of `split`."""

    def fit_ink(self, line: np.ndarray) -> np.ndarray:
        """Ink from another source at the size and density the reader knows."""


def missing_members(cls: type) -> list[str]:
    """Names of the `Kind` contract that `cls` does not define."""
    names = [n for n in Kind.__dict__ if not n.startswith("_")]
    names += list(Kind.__annotations__)
    instance_attrs = {"config", "meta"}  # set by __init__
    return sorted({n for n in names if n not in instance_attrs and not hasattr(cls, n)})


class Base(abc.ABC):
    """Shared plumbing of the kinds: meta, the batcher cache, defaults.

    A subclass implements `make_batcher` (an object with .batch(step) and
    .windows_per_epoch, built from the loaded data for one process) and the
    model/loss methods of the contract; `from_meta` rebuilds what the model
    needs (vocabulary, statistics) from saved meta.
    """

    units: ClassVar[str] = "targets"

    def __init__(self, config: ml_collections.ConfigDict, meta: dict | None = None):
        self.config = config
        self.meta = dict(meta or {})
        self._batchers: dict[tuple[int, int], Any] = {}
        if meta:
            self.from_meta(self.meta)

    def from_meta(self, meta: dict) -> None:  # noqa: B027 (optional: a kind may need none)
        """Rebuild the model-facing facts (vocab, stats, ...) from meta."""

    @abc.abstractmethod
    def make_batcher(self, process_index: int, process_count: int) -> Any:
        """The training batcher of one process (after load_data)."""

    def _batcher(self, process_index: int, process_count: int) -> Any:
        key = (process_index, process_count)
        if key not in self._batchers:
            self._batchers[key] = self.make_batcher(process_index, process_count)
        return self._batchers[key]

    def train_batch(self, step: int, process_index: int, process_count: int) -> Batch:
        return self._batcher(process_index, process_count).batch(step)

    def windows_per_epoch(self) -> int:
        return self._batcher(0, 1).windows_per_epoch

    def report(self, sums: dict) -> dict[str, float]:
        return {"nats": float(sums["nll"]) / max(float(sums["count"]), 1.0)}

    def write_samples(self, model: nnx.Module, workdir: str, step: int,
                      rng: jax.Array) -> dict:
        return {"summary": "(this kind writes no samples)"}

    def sample_command(self, model: nnx.Module, opts: dict) -> str:
        raise UserError(f"config.kind={self.config.kind!r} has no sampler for "
                        "python -m seqgen.sample")
