"""Test setup: 8 fake CPU devices and the persistent compilation cache.

Both must be set before jax is imported anywhere, hence here.
"""
import os

os.environ.setdefault("XLA_FLAGS", "")
if "xla_force_host_platform_device_count" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] += " --xla_force_host_platform_device_count=8"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update(
    "jax_compilation_cache_dir",
    os.environ.get("SEQGEN_JAX_CACHE", os.path.expanduser("~/.cache/seqgen/jax")))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


def read_event_images(logdir) -> dict:
    """{(tag, step): PNG bytes} of every image in the TensorBoard event files
    under `logdir`, read from the TFRecord framing (length, crc, Event proto,
    crc) directly rather than through the writer's code."""
    import pathlib
    import struct

    from tensorboardX.proto import event_pb2

    images = {}
    for path in sorted(pathlib.Path(logdir).rglob("events.out.tfevents.*")):
        data, at = path.read_bytes(), 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at:at + 8])
            event = event_pb2.Event.FromString(data[at + 12:at + 12 + length])
            at += 12 + length + 4
            for value in event.summary.value:
                if value.HasField("image"):
                    images[(value.tag, event.step)] = value.image.encoded_image_string
    return images


@pytest.fixture
def event_images():
    return read_event_images


@pytest.fixture(scope="session")
def tiny_served_runs(tmp_path_factory):
    """Workdirs of a tiny synthesis, recognition and text run (smoke configs,
    seconds each) for the web page's tests, trained once per test session:
    under xdist the first worker trains them and the others wait for it."""
    import fcntl
    import pathlib

    from seqgen import train
    from seqgen.config.files import load_module

    repo = pathlib.Path(__file__).resolve().parents[1]
    root = tmp_path_factory.getbasetemp()
    root = root.parent if root.name.startswith("popen-gw") else root
    root = root / "tiny_served_runs"
    root.mkdir(exist_ok=True)
    runs = {"write": root / "writer", "read": root / "recogniser", "sample": root / "text"}
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            for (role, workdir), file in zip(runs.items(), ("writer.py", "recognition.py",
                                                            "default.py"), strict=True):
                config = load_module(str(repo / "configs" / file),
                                     f"served_{role}").get_config("smoke")
                config.eval_test = False
                train.train_and_evaluate(config, str(workdir))
            (root / "done").write_text("ok")
    return {role: str(path) for role, path in runs.items()}


def numpy_char_lstm_loss(layers, head, ids_BxT1) -> float:
    """Mean cross entropy (nats, float64) of the text peers' char model,
    re-derived from the equations: one-hot bytes, N LSTM layers without
    peepholes from zero state (gates i, f, g, o of x W_ih + h W_hh + b; c' =
    f c + i g; h' = o tanh c'), logits = h W + b, softmax cross entropy of
    ids[:, 1:] given ids[:, :-1]. `layers`: [(W_ih in x 4H, W_hh H x 4H,
    b 4H)]; `head`: (W H x V, b V)."""
    import numpy as np

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    W_HxV, b_V = (np.asarray(a, np.float64) for a in head)
    ids_BxT1 = np.asarray(ids_BxT1)
    B, T = ids_BxT1.shape[0], ids_BxT1.shape[1] - 1
    x_BxTxD = np.eye(W_HxV.shape[1])[ids_BxT1[:, :-1]]
    for W_ih, W_hh, b in layers:
        W_ih, W_hh, b = (np.asarray(a, np.float64) for a in (W_ih, W_hh, b))
        H = W_hh.shape[0]
        h_BxH, c_BxH, out = np.zeros((B, H)), np.zeros((B, H)), []
        for t in range(T):
            z = x_BxTxD[:, t] @ W_ih + h_BxH @ W_hh + b
            i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), \
                sigmoid(z[:, 3 * H:])
            c_BxH = f * c_BxH + i * g
            h_BxH = o * np.tanh(c_BxH)
            out.append(h_BxH)
        x_BxTxD = np.stack(out, 1)
    logits = x_BxTxD @ W_HxV + b_V
    logits = logits - logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return float(-np.take_along_axis(logp, ids_BxT1[:, 1:, None], -1).mean())


def check_gradients_by_finite_differences(loss_of, params, grads, *, seed=0, eps=1e-5):
    """Each gradient tensor against central differences of `loss_of(params)`
    (float64) along two random directions confined to that tensor, so a
    wrong gradient in any one tensor shows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    for name, grad in grads.items():
        for _ in range(2):
            d = rng.normal(size=params[name].shape)
            up, down = dict(params), dict(params)
            up[name], down[name] = params[name] + eps * d, params[name] - eps * d
            numeric = (loss_of(up) - loss_of(down)) / (2 * eps)
            analytic = float((np.asarray(grad, np.float64) * d).sum())
            assert analytic == pytest.approx(numeric, rel=1e-3, abs=1e-6), name


@pytest.fixture
def char_lstm_reference():
    """(loss, gradient check) of the text peers' char model, in numpy."""
    return numpy_char_lstm_loss, check_gradients_by_finite_differences
