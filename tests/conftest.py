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
    from seqgen.config_files import load_module

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
