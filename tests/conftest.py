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
