"""TensorBoard holds the pictures: every PNG an evaluation writes for its
step lands in the event file as an image, pixel for pixel."""

import io

import numpy as np
from PIL import Image

from seqgen.metrics_log import MetricLog


def test_images_of_the_step_go_to_tensorboard_pixel_for_pixel(tmp_path, event_images):
    samples = tmp_path / "samples"
    samples.mkdir()
    rng = np.random.default_rng(0)
    drawn = {name: rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
             for name, (h, w) in {"step_0000003.png": (20, 30),
                                  "alignment_step_0000003.png": (12, 7),
                                  "density_step_0000003.png": (9, 16),
                                  "step_0000002.png": (5, 5)}.items()}  # another step
    for name, pixels in drawn.items():
        Image.fromarray(pixels).save(samples / name)
    log = MetricLog(str(tmp_path))
    tags = log.images(3, samples)
    log.close()
    assert sorted(tags) == ["samples/alignment", "samples/density", "samples/lines"]
    images = event_images(tmp_path / "tensorboard")
    assert set(images) == {("samples/lines", 3), ("samples/alignment", 3),
                           ("samples/density", 3)}
    for (tag, _), png in images.items():
        name = {"samples/lines": "step_0000003.png",
                "samples/alignment": "alignment_step_0000003.png",
                "samples/density": "density_step_0000003.png"}[tag]
        got = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        np.testing.assert_array_equal(got, drawn[name])


def test_a_disabled_log_writes_nothing(tmp_path):
    assert MetricLog(str(tmp_path), enabled=False).images(1, tmp_path) == []
    assert not (tmp_path / "tensorboard").exists()
