"""Metric logging: TensorBoard event files (tensorboardX, no TensorFlow), a
JSON-lines file for scripts, and the console. Only process 0 writes.

TensorBoard: `tensorboard --logdir=WORKDIR/tensorboard` (pip install
tensorboard) shows the scalars, the text samples and, at every evaluation,
the pictures the kind wrote (`images`: handwriting samples, the window
alignment and kappa plots, the predictive density map).

Why not clu.metric_writers: its SummaryWriter writes through tf.summary,
i.e. it needs TensorFlow, which seqgen does not install (TFDS runs without
it here), and its torch writer needs PyTorch; what it would add on top of
tensorboardX is the multi-writer fan-out, which is the three calls below.
"""

from __future__ import annotations

import json
import pathlib

from absl import logging


class MetricLog:
    def __init__(self, workdir: str, enabled: bool = True):
        self.enabled = enabled
        if not enabled:
            return
        from tensorboardX import SummaryWriter

        self.dir = pathlib.Path(workdir)
        self.tb = SummaryWriter(str(self.dir / "tensorboard"))
        self.jsonl = open(self.dir / "metrics.jsonl", "a", encoding="utf-8")

    def write(self, step: int, split: str, metrics: dict[str, float]) -> None:
        if not self.enabled:
            return
        for k, v in metrics.items():
            self.tb.add_scalar(f"{split}/{k}", v, step)
        self.jsonl.write(json.dumps({"step": step, "split": split, **metrics}) + "\n")
        self.jsonl.flush()

    def images(self, step: int, folder: pathlib.Path) -> list[str]:
        """Every PNG in `folder` written for `step` (name holding step_<7 digits>)
        as a TensorBoard image, tagged by the rest of its name (samples/alignment,
        samples/density, ...); returns the tags."""
        if not self.enabled:
            return []
        import numpy as np
        from PIL import Image

        tags = []
        for path in sorted(pathlib.Path(folder).glob(f"*step_{step:07d}*.png")):
            name = path.stem.replace(f"step_{step:07d}", "").strip("_") or "lines"
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"))
            self.tb.add_image(f"samples/{name}", pixels, step, dataformats="HWC")
            tags.append(f"samples/{name}")
        self.tb.flush()
        return tags

    def text(self, step: int, tag: str, text: str) -> None:
        if self.enabled:
            self.tb.add_text(tag, text, step)

    def info(self, msg: str, *args) -> None:
        if self.enabled:
            logging.info(msg, *args)

    def close(self) -> None:
        if self.enabled:
            self.tb.close()
            self.jsonl.close()
