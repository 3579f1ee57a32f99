"""The enwik8 data pipeline on a generated 100 MB enwik8-like file: peak RSS,
preparation and load time, and training batches per second.

  python -m benchmarks.pipeline --json_out=/tmp/seqgen/bench/pipeline.json

Writes a 100,000,000-byte file of 205 distinct byte values (a Zipf-like
mix, streamed into enwik8.zip so generating it costs no memory) in a
temporary data dir, points the enwik8 loader at it (its checksums are
swapped for the generated file's), then times: the first load_text (which
prepares the TFDS array_record shards), a second load_text (reads the
prepared shards into one array), and TBPTTBatcher.batch for B x T windows.
Memory is this process's peak resident set size (ru_maxrss), which
includes the Python interpreter and the imported libraries (TFDS, numpy,
not JAX: the data wing does not import it); VmRSS after each phase is
recorded too. Run it in its own process, as the suite does.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from absl import app, flags

from benchmarks import timing
from seqgen.command import flag_checks as fc

FLAGS = flags.FLAGS
ENWIK8_LIKE_SYMBOLS = 205  # distinct byte values in the real enwik8


def _define_flags() -> None:
    flags.DEFINE_integer("bytes", 100_000_000, "Size of the generated enwik8 (real: 1e8).")
    flags.DEFINE_integer("batch", 32, "Streams per batch B.")
    flags.DEFINE_integer("seq", 100, "Window length T.")
    flags.DEFINE_integer("batches", 2000, "Batches timed.")
    flags.DEFINE_string("workdir", "", "Keep the generated data here ('' = a temp dir, "
                        "deleted afterwards).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def write_enwik8_like(path: Path, size: int, seed: int = 0) -> tuple[str, str]:
    """A zip holding `enwik8` of `size` bytes; returns (data sha256, zip sha256)."""
    rng = np.random.default_rng(seed)
    symbols = np.arange(256, dtype=np.uint8)[25:25 + ENWIK8_LIKE_SYMBOLS]
    p = 1.0 / np.arange(1, ENWIK8_LIKE_SYMBOLS + 1)  # Zipf-like, like text
    p /= p.sum()
    h = hashlib.sha256()
    block = 1 << 20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open("enwik8", "w", force_zip64=True) as f:
        # Every symbol once first, so the vocabulary is exactly 205.
        data = symbols.tobytes()
        done = 0
        while done < size:
            n = min(block, size - done) - len(data)
            data += rng.choice(symbols, size=n, p=p).tobytes()
            f.write(data)
            h.update(data)
            done += len(data)
            data = b""
    zh = hashlib.sha256(path.read_bytes()).hexdigest()
    return h.hexdigest(), zh


def run(*, size: int = 100_000_000, batch: int = 32, seq: int = 100, batches: int = 2000,
        workdir: str = "") -> dict:
    import ml_collections

    from seqgen.data import tbptt
    from seqgen.data import text as text_data
    from seqgen.data.text import enwik8

    rss = {"after_imports": current_rss_mb()}
    real = (enwik8.ENWIK8_BYTES, enwik8.ENWIK8_SHA256, enwik8.ENWIK8_ZIP_SHA256)
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="seqgen_pipeline_"))
    try:
        manual = root / "manual"
        manual.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        data_sha, zip_sha = write_enwik8_like(manual / "enwik8.zip", size)
        generate_s = time.perf_counter() - t0
        rss["after_generate"] = current_rss_mb()
        # The loader verifies the real enwik8's size and checksums; this is not it.
        enwik8.ENWIK8_BYTES, enwik8.ENWIK8_SHA256 = size, data_sha
        enwik8.ENWIK8_ZIP_SHA256 = zip_sha
        cfg = ml_collections.ConfigDict({"dataset": "enwik8", "split": "standard",
                                         "data_dir": str(root / "tfds"),
                                         "manual_dir": str(manual)})
        t0 = time.perf_counter()
        splits = text_data.load_text(cfg)
        prepare_s = time.perf_counter() - t0
        rss["after_prepare"] = current_rss_mb()
        del splits
        t0 = time.perf_counter()
        splits = text_data.load_text(cfg)
        load_s = time.perf_counter() - t0
        rss["after_load"] = current_rss_mb()
        b = tbptt.TBPTTBatcher(splits.train, batch, seq, seed=0)
        t0 = time.perf_counter()
        for step in range(batches):
            out = b.batch(step)
        batch_s = (time.perf_counter() - t0) / batches
        rss["after_batches"] = current_rss_mb()
        assert out["inputs"].shape == (batch, seq)
        return {"benchmark": "pipeline", "bytes": size, "vocab": splits.vocab.size,
                "train_tokens": int(splits.train.size), "generate_s": generate_s,
                "prepare_s": prepare_s, "load_s": load_s, "batch": batch, "seq": seq,
                "batches_timed": batches, "batches_per_s": 1.0 / batch_s,
                "tokens_per_s": batch * seq / batch_s, "rss_mb": rss,
                "peak_rss_mb": timing.peak_rss_mb(),
                "note": "peak_rss_mb: the process's peak RSS (ru_maxrss), all phases"}
    finally:
        enwik8.ENWIK8_BYTES, enwik8.ENWIK8_SHA256, enwik8.ENWIK8_ZIP_SHA256 = real
        if not workdir:
            shutil.rmtree(root, ignore_errors=True)


def format_table(r: dict) -> str:
    return (f"enwik8-like {r['bytes'] / 1e6:.0f} MB (vocab {r['vocab']}): generate "
            f"{r['generate_s']:.1f} s, prepare {r['prepare_s']:.1f} s, load {r['load_s']:.1f} s, "
            f"{r['batches_per_s']:,.0f} batches/s of {r['batch']}x{r['seq']} "
            f"({r['tokens_per_s'] / 1e6:.1f} M tokens/s), peak RSS {r['peak_rss_mb']:.0f} MiB "
            f"(after load {r['rss_mb']['after_load']:.0f} MiB)")


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "bytes": fc.between(10_000, 10**11, "bytes of generated text"),
    "batch": fc.between(1, 65_536),
    "seq": fc.between(1, 1_000_000),
    "batches": fc.between(1, 10**9),
    "workdir": fc.optional_dir,
    "json_out": fc.JSON_OUT,
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    r = run(size=FLAGS.bytes, batch=FLAGS.batch, seq=FLAGS.seq, batches=FLAGS.batches,
            workdir=FLAGS.workdir)
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
