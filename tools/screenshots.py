"""The pictures of the web page in docs/web.md, taken from the real thing: starts
`python -m seqgen.serve` (the shipped models unless --workdir), opens it in
the system Chromium (Playwright), writes a sentence, and draws a shipped
style's line on the style canvas.

  python -m tools.screenshots --out_dir=docs      # docs/serve_write.png, docs/serve_style.png

A docs tool, run from a clone; needs Chromium (apt-get install chromium)
and playwright (the test extra).
"""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_list("workdir", [], "Runs to serve (default: the shipped models).")
    flags.DEFINE_string("out_dir", "docs", "Where the two PNGs go.")
    flags.DEFINE_string("text", "Dear friend, thank you for the letter.", "What to write.")
    flags.DEFINE_string("chromium", os.environ.get("SEQGEN_CHROMIUM", "/usr/bin/chromium"),
                        "The Chromium binary.")


RULES = {
    "workdir": fc.anything,  # seqgen.serve checks them
    "out_dir": fc.writable_dir,
    "text": fc.non_empty("the text to write"),
    "chromium": fc.existing_file("the Chromium binary (apt-get install chromium)"),
}


def main() -> None:
    import numpy as np
    from playwright.sync_api import sync_playwright

    from seqgen import pretrained
    from seqgen.data import strokes
    from seqgen.handwriting import styles

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [f"--port={port}"] + ([f"--workdir={','.join(FLAGS.workdir)}"]
                                 if FLAGS.workdir else [])
    server = subprocess.Popen([sys.executable, "-m", "seqgen.serve", *args])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # warm-up compiles first
            try:
                urllib.request.urlopen(url + "/api/models", timeout=2)
                break
            except OSError:
                time.sleep(1)
        out = pathlib.Path(FLAGS.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        style = styles.shipped(pretrained.path("writer"))[2]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=FLAGS.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.wait_for_selector("#style-picker button")
            page.fill("#text", FLAGS.text)
            page.click("#write-btn")
            page.wait_for_selector("#result[data-done='1'] svg path", state="attached")
            time.sleep(1)
            page.screenshot(path=str(out / "serve_write.png"), full_page=True)
            page.click("#tabs button[data-tab=style]")
            box = page.locator("#style-pad").bounding_box()
            pts = strokes.to_absolute(style.line_Tx3) * np.array([1.0, -1.0])
            pts -= pts.min(0)
            k = min(0.55 * box["height"] / max(np.ptp(pts[:, 1]), 1e-6),
                    0.9 * box["width"] / max(np.ptp(pts[:, 0]), 1e-6))
            pts = pts * k + [box["x"] + 0.04 * box["width"], box["y"] + 0.2 * box["height"]]
            for stroke in strokes.split_strokes(pts, style.line_Tx3[:, 2]):
                page.mouse.move(*stroke[0])
                page.mouse.down()
                for x, y in stroke[1:]:
                    page.mouse.move(x, y)
                page.mouse.up()
            page.fill("#ink-text", style.text)
            page.screenshot(path=str(out / "serve_style.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    print(f"wrote {out / 'serve_write.png'} and {out / 'serve_style.png'}")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
