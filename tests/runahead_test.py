"""Loops over mesh programs stay at most a step ahead of the devices.

With several CPU devices, XLA:CPU deadlocks when a loop queues more than 32
programs per device ahead of them: a launch that finds its device full
blocks one of the client's worker threads (there are as many as devices),
so the next program with an all-reduce can never gather all its
participants, and XLA aborts the process after its collective timeout
(parallel.fold_late tells the whole story). The test suite's eight fake
devices on two busy cores met it as a worker dying with "Fatal Python
error: Aborted" in the static evaluation.

Here the static evaluation runs 60 windows whose programs are slow next to
the host's work (64 chained 256-wide matmuls per device), so a loop that ran
ahead would queue well over 32 of them: before parallel.fold_late it aborted
every time ("only 5 of them arrived on time"). The test also reads, as each
window is fetched, how many earlier windows' sums are not yet ready on every
device: at most two (the window just queued, and the one whose sums were
read from the first device while the others finish). It runs in a subprocess
whose collective timeout is 10 s instead of 40, so a regression fails in
seconds, with XLA's own message, instead of killing a test worker."""
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import jax, jax.numpy as jnp, numpy as np
    from flax import nnx
    from seqgen import eval_loops, parallel

    D, WINDOWS, B, DEPTH = 256, 60, 512, 64  # B rows: 64 per device

    class Model(nnx.Module):
        def __init__(self):
            self.w = nnx.Param(jnp.eye(D) * 0.5)
        def init_carry(self, batch_size):
            return jnp.zeros((batch_size, D))

    issued, behind = [], []  # the sums of every window; windows not done yet

    class Kind:
        def loss_fn(self, model, carry, batch):
            h = jax.lax.fori_loop(0, DEPTH, lambda _, h: jnp.tanh(h @ model.w[...]),
                                  carry + batch["x"])
            return 0.0, ({"total": h.sum(), "count": jnp.float32(h.size)}, h * 0.0)
        def eval_batches(self, split, batch_size, index, count):
            for i in range(WINDOWS):
                behind.append(sum(not s["total"].is_ready() for s in issued))
                yield {"x": np.full((batch_size, 1), (i % 7) / 7, np.float32),
                       "reset": np.zeros((batch_size,), bool)}
        def report(self, sums):
            return {k: float(v) for k, v in sums.items()}

    mesh = parallel.make_mesh()
    graphdef, params = nnx.split(Model())
    params = jax.device_put(params, parallel.replicated(mesh))
    kind = Kind()
    jitted = eval_loops.static_step(graphdef, kind, mesh)
    def step(*args):
        carry, sums = jitted(*args)
        issued.append(sums)
        return carry, sums
    m = eval_loops.static(kind, step, graphdef, params, "valid", B, mesh)

    def h(v):  # the model in numpy: w = I / 2, the carry reset to zero
        for _ in range(DEPTH):
            v = np.tanh(v * 0.5)
        return v
    want = sum(B * D * h((i % 7) / 7) for i in range(WINDOWS))
    assert m["count"] == WINDOWS * B * D, m
    assert abs(m["total"] - want) <= 1e-5 * want, (m, want)
    assert max(behind) <= 2, behind
    print("ok", len(jax.devices()), "devices; windows behind:", max(behind))
""")


def test_static_evaluation_stays_a_window_ahead_on_eight_devices():
    env = dict(os.environ, JAX_PLATFORMS="cpu", XLA_FLAGS=(
        "--xla_force_host_platform_device_count=8"
        " --xla_cpu_collective_call_warn_stuck_timeout_seconds=5"
        " --xla_cpu_collective_call_terminate_timeout_seconds=10"))
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and "ok 8 devices" in run.stdout, (
        run.stdout[-1000:] + run.stderr[-3000:])
