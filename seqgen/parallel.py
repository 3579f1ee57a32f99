"""Data parallelism over every device of every process.

One mesh with a single 'data' axis spans all devices. Parameters and
optimizer state are replicated (P()); batches and the truncated-BPTT carry
are sharded along their leading batch axis (P('data')). Each process feeds
only its own rows; `global_batch` stitches them into one global array with
jax.make_array_from_process_local_data. This is the jit-over-a-mesh way
that replaces jax.pmap (kept by JAX only in maintenance mode).
"""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
from absl import logging
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from seqgen.errors import ConfigError

DATA = "data"


def maybe_initialize_distributed(coordinator: str = "", num_processes: int = 0,
                                 process_id: int = -1) -> None:
    """Join the multi-controller runtime when this is one of several processes.

    Must run before anything touches a device. Explicit arguments win; else
    SLURM, Cloud TPU and JAX_COORDINATOR_ADDRESS environments are detected by
    jax.distributed itself. A plain single-process run does nothing.
    """
    if coordinator:
        jax.distributed.initialize(coordinator, num_processes, process_id)
    elif (int(os.environ.get("SLURM_NTASKS", "1")) > 1
          or "JAX_COORDINATOR_ADDRESS" in os.environ
          or "TPU_WORKER_HOSTNAMES" in os.environ):
        jax.distributed.initialize()
    else:
        return
    logging.info("jax.distributed: process %d of %d, %d local / %d global devices",
                 jax.process_index(), jax.process_count(),
                 jax.local_device_count(), jax.device_count())


def make_mesh(devices: list | None = None) -> jax.sharding.Mesh:
    devices = devices if devices is not None else jax.devices()
    # Auto axes: XLA propagates the batch sharding through the model, so
    # model code carries no sharding annotations (make_mesh defaults to
    # Explicit axes in recent JAX).
    return jax.make_mesh((len(devices),), (DATA,), devices=devices,
                         axis_types=(jax.sharding.AxisType.Auto,))


def replicated(mesh: jax.sharding.Mesh) -> NamedSharding:
    return NamedSharding(mesh, P())


def batch_sharded(mesh: jax.sharding.Mesh) -> NamedSharding:
    return NamedSharding(mesh, P(DATA))


def check_batch_size(batch_size: int, mesh: jax.sharding.Mesh, name: str) -> None:
    n = mesh.devices.size
    if batch_size % n:
        lo, hi = (batch_size // n) * n, (batch_size // n + 1) * n
        hint = f"{lo} or {hi}" if lo else f"{hi}"
        raise ConfigError(
            f"{name}={batch_size} is not divisible by the {n} devices of the "
            f"mesh; set {name} to a multiple of {n} (e.g. {hint})")


def global_batch(local: dict[str, np.ndarray], mesh: jax.sharding.Mesh
                 ) -> dict[str, jax.Array]:
    """Host-local numpy rows -> one global array sharded along 'data'."""
    sharding = batch_sharded(mesh)
    return {k: jax.make_array_from_process_local_data(sharding, v)
            for k, v in local.items()}


def shard_like(tree: Any, sharding: NamedSharding) -> Any:
    return jax.tree.map(lambda x: jax.device_put(x, sharding), tree)
