"""Metric logging: TensorBoard event files (tensorboardX, no TensorFlow), a
JSON-lines file for scripts, and the console. Only process 0 writes.
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
