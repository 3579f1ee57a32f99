"""Experiment kinds: the one door between train.py and a kind of experiment.

train.py never branches on the kind. `config.kind` names a module here
(big_vision selects modules by name the same way) whose `Kind` class has:

  Kind(config, meta=None)        meta: JSON-safe facts saved with every
                                 checkpoint (e.g. the vocabulary), enough to
                                 rebuild the model without the dataset
  .load_data() -> None           host-side; fills .meta
  .meta -> dict
  .build_model(rngs) -> nnx.Module   with .init_carry(batch_size)
  .loss_fn(model, carry, batch) -> (loss, (sums, new_carry))
                                 sums: dict of per-batch sums that add up
                                 across batches; must hold 'nll' (summed
                                 over targets) and 'count' (targets): the
                                 train step differentiates sums['nll'] so
                                 that Graves' derivative clipping applies
                                 to summed, not averaged, losses
  .report(sums) -> dict          derived metrics from summed sums (bpc, ...)
  .units -> str                  what one count is, for throughput ('chars')
  .train_batch(step, process_index, process_count) -> dict of numpy rows
  .eval_batches(split, batch_size, process_index, process_count) -> iterator
  .write_samples(model, workdir, step, rng) -> dict   process 0 only; writes
                                 samples under workdir/samples/ and returns
                                 {'summary': str, **scalar metrics}
  .sample_command(model, opts) -> str   `python -m seqgen.sample`

Adding a kind is adding a module, not editing train.py.
"""

from __future__ import annotations

import importlib

import ml_collections

from seqgen.errors import ConfigError

KINDS = ("text", "handwriting", "synthesis")


def make(config: ml_collections.ConfigDict, meta: dict | None = None):
    if config.kind not in KINDS:
        raise ConfigError(f"config.kind={config.kind!r} is unknown; use one of {KINDS}")
    module = importlib.import_module(f"seqgen.kinds.{config.kind}")
    return module.Kind(config, meta)
