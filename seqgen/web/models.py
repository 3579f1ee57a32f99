"""The models the web page uses, loaded once: a writer (synthesis), a reader
(recognition) and a text model, each optional.

One lock serialises every call into JAX, so requests that arrive while a
model is busy wait their turn (each with its own inputs, outputs and RNG:
nothing is shared between requests but the weights). Writing is bucketed:
a page's lines are padded to LINE_BUCKETS rows and its longest line to
CHAR_BUCKETS characters (seqgen/handwriting/page_sizes.py, as seqgen.write pads), so
the samplers compiled at start-up (`warm_up`)
serve every request of those sizes without compiling again; a primed
request compiles once more per priming line's length.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import NamedTuple

import jax
import numpy as np
from flax import nnx

from seqgen import pretrained
from seqgen.command.errors import UserError
from seqgen.handwriting import page_sizes, render, styles, verify
from seqgen.kinds import base
from seqgen.kinds import text as text_kind
from seqgen.models import generate
from seqgen.web import requests

log = logging.getLogger(__name__)

RUN_STYLES = 4  # a run with no shipped styles offers its first validation lines
PHI_STEPS = 200  # time steps of the alignment sent to the page (downsampled)


class Loaded(NamedTuple):
    workdir: str
    kind: base.Kind
    model: nnx.Module
    step: int


def load(workdirs: list[str]) -> dict[str, Loaded]:
    """{'write' | 'read' | 'sample': Loaded}: each workdir goes where its kind
    belongs; a role no workdir fills takes the shipped default, if shipped."""
    from seqgen.kinds import load_trained  # JAX after the flags

    out: dict[str, Loaded] = {}
    for workdir in workdirs:
        kind, model, config, step = load_trained(workdir)
        role = ("write" if isinstance(kind, base.Writer) else
                "read" if isinstance(kind, base.Reader) else
                "sample" if isinstance(kind, text_kind.Kind) else None)
        if role is None:
            raise UserError(f"--workdir={workdir} is a {config.kind!r} run; the page serves "
                            "synthesis, recognition and text runs")
        if role in out:
            raise UserError(f"--workdir={workdir}: {out[role].workdir} already serves "
                            f"{role!r}; give one run of each kind")
        out[role] = Loaded(workdir, kind, model, step)
    for role in ("write", "read", "sample"):  # the page's roles; legibility is not one
        name = pretrained.DEFAULT[role]
        if role not in out and name in pretrained.names():
            kind, model, _, step = load_trained(str(pretrained.path(name)))
            out[role] = Loaded(str(pretrained.path(name)), kind, model, step)
    return out


class Models:
    """The loaded models behind one lock (module docstring)."""

    def __init__(self, loaded: dict[str, Loaded], verify: bool = True):
        self.loaded = loaded
        self.verify = verify  # a write request's default (seqgen/handwriting/verify.py)
        self.lock = threading.Lock()
        self._scale = None
        writer = loaded.get("write")
        if writer is not None:
            self._scale = styles.scale_of(writer.kind, writer.workdir)
            self._run_styles = [] if styles.shipped(writer.workdir) else [
                styles.Style(f"valid-{i}", *writer.kind.style_line(i), "validation line")
                for i in range(RUN_STYLES)]

    def describe(self) -> dict:
        """GET /api/models: what each role serves."""
        return {role: {"workdir": m.workdir, "kind": m.kind.config.kind, "step": m.step}
                if (m := self.loaded.get(role)) else None
                for role in ("write", "read", "sample")}

    def _need(self, role: str) -> Loaded:
        if role not in self.loaded:
            flag = {"write": "synthesis", "read": "recognition", "sample": "text"}[role]
            raise UserError(f"no {flag} model is loaded: start the server with "
                            f"--workdir=RUN of a {flag} run")
        return self.loaded[role]

    # -- styles ---------------------------------------------------------------

    def styles(self) -> list[styles.Style]:
        writer = self._need("write")
        return styles.shipped(writer.workdir) + self._run_styles + styles.saved()

    def style_list(self) -> list[dict]:
        """GET /api/styles: each style's name, text and a thumbnail SVG."""
        out = []
        for s in self.styles():
            svg, _ = render.page_svg([s.line_Tx3], line_height=32, stroke_width=1.2)
            out.append({"name": s.name, "text": s.text, "about": s.about, "svg": svg})
        return out

    def fit_drawn(self, line: np.ndarray, text: str) -> np.ndarray:
        """A drawn line brought to the writer's scale (seqgen/handwriting/styles.py checks)."""
        writer = self._need("write")
        _check_chars(writer.kind, text, "ink_text: ")
        return styles.fit(line, text, self._scale, "your ink")

    def save_style(self, name: str, line: np.ndarray, text: str) -> str:
        fitted = self.fit_drawn(line, text)
        styles.save(styles.Style(name, fitted, text, "drawn on the web page"))
        return name

    # -- the three calls ----------------------------------------------------

    def write(self, req: requests.Write) -> dict:
        writer = self._need("write")
        kind = writer.kind
        fallbacks: dict[str, str] = {}
        for line in req.lines:
            fallbacks.update(_check_chars(kind, line))
        prime = None
        if req.ink is not None:
            prime = (self.fit_drawn(req.ink, req.ink_text), req.ink_text)
        elif req.style:
            found = [s for s in self.styles() if s.name == req.style]
            if not found:
                raise UserError(f"style={req.style!r} is not a style here; pick one from "
                                "the list (GET /api/styles)")
            prime = (found[0].line_Tx3, found[0].text)
        n = len(req.lines)

        # The page's sampler (its rows and characters bucket) serves the
        # retries of verification too: nothing compiles after warm-up.
        write_rows, page_rows = page_sizes.page_writer(
            lambda rows, chars, key: kind.write(writer.model, rows, req.bias, key, prime,
                                                chars=chars), req.lines)

        verifying = self.verify if req.verify is None else req.verify
        reader = self.loaded.get("read") if verifying else None
        t0 = time.perf_counter()
        with self.lock:
            if reader is not None:
                checked = verify.verified_write(
                    write_rows, verify.reader(reader.kind, reader.model, kind.meta),
                    req.lines, jax.random.key(req.seed), max_rows=page_rows)
                out = checked.written
            else:
                out = write_rows(req.lines, jax.random.key(req.seed))
        seconds = time.perf_counter() - t0
        lines = out["lines"][:n]
        svg, page = render.page_svg(lines, line_height=req.line_height,
                                    stroke_width=req.stroke_width, color=req.color,
                                    same_scale=True)
        from seqgen.handwriting.ink import to_screen

        head = prime[1] + " " if prime else ""
        return {"texts": req.lines, "svg": svg, "page": page, "seconds": round(seconds, 3),
                "stopped": [bool(s) for s in out["stopped"][:n]],
                "aligned": [bool(a) for a in out["aligned"][:n]],
                "points": [int(p) for p in out["length"][:n]],
                "fallbacks": fallbacks, "primed": prime is not None,
                "alignment": [_alignment(out["phi"][i], int(out["length"][i]), head + t)
                              for i, t in enumerate(req.lines)],
                "strokes": {"texts": req.lines,
                            "lines": [to_screen(line) for line in lines]},
                # Verification (seqgen/handwriting/verify.py): null when off or no reader.
                "verified": None if reader is None else {
                    "reads": [c.read for c in checked.checks],
                    "attempts": checked.attempts, "doubtful": checked.doubtful}}

    def read(self, line: np.ndarray) -> dict:
        reader = self._need("read")
        fitted = reader.kind.fit_ink(line)
        with self.lock:
            read = reader.kind.read(reader.model, [fitted])[0]
        return {"text": read, "points": len(line)}

    def check_prime(self, prime: str) -> None:
        """A prime the text model can read (a one-line error before streaming)."""
        kind = self._need("sample").kind
        kind.vocab.encode(prime)

    def sample(self, req: requests.Sample) -> Iterator[str]:
        """The sampled text chunk by chunk; the lock is taken per chunk, so
        a long sample lets other requests in between."""
        texter = self._need("sample")
        chunks = generate.text_chunks(texter.model, texter.kind.vocab, req.prime, req.length,
                                      req.temperature, jax.random.key(req.seed))
        while True:
            with self.lock:
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk

    def warm_up(self) -> None:
        """Compile the samplers before the first request: the writer's for
        every bucket of lines at 40 characters and for one line of each
        bucket of characters, the reader's and the text model's."""
        for role in self.loaded:
            t0 = time.perf_counter()
            if role == "write":  # every page size at 40 characters, one line at 20 and 80
                sizes = [(n, 40) for n in page_sizes.LINE_BUCKETS] + [
                    (1, c) for c in page_sizes.CHAR_BUCKETS if c != 40]
                for lines, chars in sizes:
                    line = ("warm up " * chars)[:chars - 1] + "."
                    # Unverified: verification's retries reuse this sampler, and
                    # the reader is warmed below.
                    self.write(requests.write({"text": "\n".join([line] * lines),
                                               "wrap": max(page_sizes.CHAR_BUCKETS),
                                               "verify": False}))
            elif role == "read":
                line = np.tile(np.array([[3.0, 2.0, 0.0], [3.0, -2.0, 0.0]], np.float32),
                               (40, 1))
                line[-1, 2] = 1.0
                self.read(line)
            else:
                prime = self.loaded[role].kind.vocab.decode([0])
                list(self.sample(requests.Sample(prime, 40, 1.0, 0)))
            log.info("warm-up of %s: %.1f s", role, time.perf_counter() - t0)


def _check_chars(kind, text: str, prefix: str = "") -> dict[str, str]:
    """{unseen: fallback} of a text the writer can write, else a one-line error."""
    try:
        _, subs = kind.alphabet.encode_with_fallbacks(text, blank_ok=False)
    except UserError as e:
        raise UserError(f"{prefix}{e}") from None
    return subs


def _alignment(phi_LxU: np.ndarray, n: int, text: str) -> dict:
    """The window weights over (time, character) of one line, at most
    PHI_STEPS time steps (max-pooled), rounded for JSON."""
    phi = np.asarray(phi_LxU[:max(n, 1), :len(text) + 1], np.float32)
    if len(phi) > PHI_STEPS:
        edges = np.linspace(0, len(phi), PHI_STEPS + 1).astype(int)
        phi = np.stack([phi[a:b].max(0) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    return {"text": text, "phi": np.round(phi, 3).tolist()}
