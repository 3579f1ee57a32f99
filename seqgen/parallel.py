"""Data parallelism over every device of every process.

One mesh with a single 'data' axis spans all devices. Parameters and
optimizer state are replicated (P()); batches and the truncated-BPTT carry
are sharded along their leading batch axis (P('data')). Each process feeds
only its own rows; `global_batch` stitches them into one global array with
jax.make_array_from_process_local_data. This is the jit-over-a-mesh way
that replaces jax.pmap (kept by JAX only in maintenance mode).

Multi-process runs (several hosts, or several processes on one host) join
JAX's multi-controller runtime through `maybe_initialize_distributed`
before anything touches a device; every process then runs the same program
on its own rows.
"""

from __future__ import annotations

import glob
import importlib.util
import os
from typing import Any

import jax
import numpy as np
from absl import logging
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from seqgen.command.errors import ConfigError

DATA = "data"


def _on_cloud_tpu_vm() -> bool:
    # libtpu installed and a TPU chip attached: jax.distributed then reads
    # the worker list from the VM's metadata server.
    chips = glob.glob("/dev/accel[0-9]*") or glob.glob("/dev/vfio/[0-9]*")
    return bool(chips) and importlib.util.find_spec("libtpu") is not None


def distributed_setting(coordinator: str = "", num_processes: int = 0,
                        process_id: int = -1, environ: dict | None = None
                        ) -> tuple[str, dict[str, Any]] | None:
    """How this process should join a multi-process run, or None for a lone run.

    Returns (why, kwargs for jax.distributed.initialize). In order: explicit
    flags; JAX_COORDINATOR_ADDRESS (+ JAX_NUM_PROCESSES, JAX_PROCESS_ID);
    a SLURM job step with more than one task (srun); a Cloud TPU VM;
    SEQGEN_DISTRIBUTED=1 (let jax.distributed auto-detect, e.g. Open MPI).
    """
    env = os.environ if environ is None else environ
    if coordinator or num_processes > 0 or process_id >= 0:
        if not coordinator or num_processes <= 0 or not 0 <= process_id < num_processes:
            raise ConfigError(
                f"--coordinator_address={coordinator!r} --num_processes={num_processes} "
                f"--process_id={process_id} is incomplete; give all three (HOST:PORT of "
                "process 0, N >= 1, 0 <= I < N) or none (SLURM and Cloud TPU are "
                "detected)")
        return "flags", dict(coordinator_address=coordinator,
                             num_processes=num_processes, process_id=process_id)
    if env.get("JAX_COORDINATOR_ADDRESS"):
        kwargs: dict[str, Any] = dict(coordinator_address=env["JAX_COORDINATOR_ADDRESS"])
        for key, name in (("JAX_NUM_PROCESSES", "num_processes"),
                          ("JAX_PROCESS_ID", "process_id")):
            if env.get(key):
                kwargs[name] = int(env[key])
        return "JAX_COORDINATOR_ADDRESS", kwargs
    # SLURM_STEP_NODELIST exists only inside a job step (srun), where
    # jax.distributed reads the rank, count and coordinator from SLURM.
    if int(env.get("SLURM_NTASKS", "1")) > 1 and "SLURM_STEP_NODELIST" in env:
        return "SLURM", {}
    if env.get("SEQGEN_DISTRIBUTED", "") == "1":
        return "SEQGEN_DISTRIBUTED=1", {}
    if environ is None and _on_cloud_tpu_vm():
        return "Cloud TPU VM", {}
    return None


def maybe_initialize_distributed(coordinator: str = "", num_processes: int = 0,
                                 process_id: int = -1) -> None:
    """Join the multi-controller runtime when this is one of several processes.

    Must run before anything touches a device. A plain single-process run
    does nothing (see `distributed_setting` for what is detected).
    """
    setting = distributed_setting(coordinator, num_processes, process_id)
    if setting is None:
        return
    why, kwargs = setting
    # Cross-process collectives on CPU need an implementation; gloo (TCP) is
    # JAX's default since 0.5 but not before, and an explicit
    # JAX_CPU_COLLECTIVES_IMPLEMENTATION (e.g. mpi) wins.
    if "JAX_CPU_COLLECTIVES_IMPLEMENTATION" not in os.environ:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(**kwargs)
    logging.info("jax.distributed (%s): process %d of %d, %d local / %d global devices",
                 why, jax.process_index(), jax.process_count(),
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
    """Host-local numpy rows -> one global array sharded along 'data'.

    Process p's rows become global rows [p*b, (p+1)*b): the mesh lists the
    devices process by process, so the same rows (and their carried state)
    stay on the same devices from one step to the next.
    """
    sharding = batch_sharded(mesh)
    return {k: jax.make_array_from_process_local_data(sharding, v)
            for k, v in local.items()}


def shard_like(tree: Any, sharding: NamedSharding) -> Any:
    """Places a tree that every process holds identically (e.g. a fresh init)."""
    return jax.tree.map(lambda x: jax.device_put(x, sharding), tree)


def local_copy(tree: Any) -> Any:
    """This process's copy of replicated arrays, on one local device.

    For work that one process does alone (samples, plots): a jitted function
    of the global arrays would be a collective program that every process
    must join, so process 0 alone would wait forever for the others; and in
    one process it would repeat the same work on every device.
    """
    def local(x):
        if isinstance(x, jax.Array) and len(x.sharding.device_set) > 1:
            if not x.is_fully_replicated:
                raise ValueError("local_copy needs replicated arrays, got sharding "
                                 f"{x.sharding}")
            return x.addressable_shards[0].data
        return x
    return jax.tree.map(local, tree)


def fold_late(total: Any, sums: Any) -> Any:
    """`total` + the host copy of `sums` (a pytree of replicated arrays, or
    None), summed in numpy float64.

    Loops over mesh programs call this with the *previous* step's sums right
    after queuing the next step: the read waits only for a step that is
    already done or nearly, and the host never runs more than one step
    ahead of the devices. Running further ahead is not only wasteful on
    XLA:CPU with several devices (`--xla_force_host_platform_device_count`):
    each device admits 32 queued programs, a launch that finds its device
    full blocks one of the client's worker threads, and there are exactly
    as many workers as devices. A program with an all-reduce needs all of
    them at once, so it never completes, nothing queued drains, and XLA
    aborts the process after 40 s ("Termination timeout for `all reduce
    ...` ... Expected 8 threads to join the rendezvous, but only 7 of them
    arrived on time"). Summing on the device instead (jnp.add per leaf)
    queues one more 8-device program per leaf and step.
    """
    if sums is None:
        return total
    host = jax.tree.map(lambda v: np.asarray(v, np.float64), jax.device_get(sums))
    return host if total is None else jax.tree.map(np.add, total, host)
