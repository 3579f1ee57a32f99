"""Train-step throughput of seqgen's models, and of the peers on the same shapes.

  python -m benchmarks.throughput --model=text --layers=2 --hidden=512 \
      --batch=32 --seq=100 --vocab=205 --compare
  python -m benchmarks.throughput --model=prediction     # Graves' 3x400, M=20
  python -m benchmarks.throughput --model=synthesis      # 3x400, K=10, 700 points
  python -m benchmarks.throughput --config=configs/enwik8.py:smoke --repeats=30

Builds the model and optimizer on random data of the given shapes (no data
set needed), compiles the jitted train step (timed separately), warms up,
then times `--repeats` steps one by one with block_until_ready. Prints and
writes (--json_out) the median and p10/p90 step time, symbols per second,
the matmul GFLOP/s achieved (benchmarks/flops.py gives the formula), that
as a fraction of a square fp32 GEMM timed in the same process (its p10
call, the better of a run before and one after the models), the compile
time and the process's peak RSS. --compare runs PyTorch nn.LSTM (if
installed) and Flax's nnx.RNN(OptimizedLSTMCell) on the same shapes in the
same process and prints seqgen's ratio to each: for text the char model
(benchmarks/torch_lstm.py, flax_lstm.py); for prediction a stack of
nn.LSTM / nnx.RNN layers with Graves' skips and mixture loss
(torch_handwriting_train.py, flax_handwriting.py); for synthesis an
nn.LSTMCell + soft-window loop then nn.LSTM layers (no Flax peer: the row
says why). The handwriting peers are float32 only and, like the text peers,
have no peepholes; nor do they clip derivatives as seqgen does.

--model=text defaults to no skip connections, like the peers (Graves' cell
keeps its peepholes, which the peers lack: seqgen does slightly more work).
--threads=N caps XLA's and PyTorch's threads (0 = their defaults); run
`taskset -c ...` to pin cores. Nothing else should run meanwhile.
"""

from __future__ import annotations

import functools
import os

import numpy as np
from absl import app, flags
from ml_collections import config_flags

from benchmarks import flops, timing

FLAGS = flags.FLAGS


def _define_flags() -> None:
    # Only when run as a script: tests and the suite import this module.
    config_flags.DEFINE_config_file("config", None, "Config file (configs/*.py[:arg]); "
                                    "overrides --model and the shape flags.")
    flags.DEFINE_enum("model", "text", ["text", "prediction", "synthesis"], "Model kind.")
    flags.DEFINE_integer("layers", 0, "LSTM layers N (0 = 2 for text, 3 for handwriting).")
    flags.DEFINE_integer("hidden", 0, "Cells per layer H (0 = 512 text, 400 handwriting).")
    flags.DEFINE_integer("batch", 32, "Sequences per step B.")
    flags.DEFINE_integer("seq", 0, "Steps T per sequence (0 = 100 text, 700 points).")
    flags.DEFINE_integer("vocab", 205, "Text vocabulary V (enwik8: 205).")
    flags.DEFINE_integer("chars", 40, "Synthesis: characters U of each line's text.")
    flags.DEFINE_integer("alphabet", 80, "Synthesis: alphabet size C (IAM-OnDB: ~80).")
    flags.DEFINE_bool("skip", None, "Skip connections (default: off for text, on otherwise).")
    flags.DEFINE_enum("matmul_dtype", "float32", ["float32", "bfloat16"],
                      "seqgen matmul inputs; bfloat16 also runs the torch peer under autocast.")
    flags.DEFINE_integer("unroll", 1, "lax.scan unroll factor of the recurrence.")
    flags.DEFINE_bool("compare", False, "Also time the PyTorch and Flax peers.")
    flags.DEFINE_integer("threads", 0, "Threads for XLA and torch (0 = library defaults).")
    flags.DEFINE_integer("warmup", 3, "Untimed steps after compilation.")
    flags.DEFINE_integer("repeats", 20, "Timed steps.")
    flags.DEFINE_integer("gemm_size", 2048, "Side of the square GEMM that sets the peak.")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


TEXT_DEFAULTS = {"layers": 2, "hidden": 512, "seq": 100}
HANDWRITING_DEFAULTS = {"layers": 3, "hidden": 400, "seq": 700}


def model_config(model: str, *, layers: int, hidden: int, skip: bool,
                 matmul_dtype: str = "float32", unroll: int = 1):
    """A config of `model` with these shapes, Adam, Graves' derivative clips."""
    from seqgen import handwriting_config, text_config

    if model == "text":
        c = text_config.base()
        c.model.clip_preactivations = 1.0
    else:
        c = handwriting_config.base() if model == "prediction" \
            else handwriting_config.synthesis_base()
        c.model.num_mixtures = 20
        c.model.num_window = 10 if model == "synthesis" else c.model.get("num_window", 0)
    c.model.num_layers, c.model.hidden, c.model.skip = layers, hidden, skip
    c.model.matmul_dtype, c.model.unroll = matmul_dtype, unroll
    c.optim.name, c.optim.learning_rate, c.optim.schedule = "adam", 2e-3, "constant"
    return c


def random_batch(model: str, batch: int, seq: int, *, vocab: int = 205, chars: int = 40,
                 alphabet: int = 80) -> dict[str, np.ndarray]:
    """Host arrays shaped like the kind's training batches."""
    rng = np.random.default_rng(0)
    reset = np.zeros(batch, bool)
    if model == "text":
        ids = rng.integers(0, vocab, size=(batch, seq + 1)).astype(np.int32)
        return {"inputs": ids[:, :-1], "targets": ids[:, 1:], "reset": reset}
    pts = rng.normal(size=(batch, seq + 1, 3)).astype(np.float32)
    pts[..., 2] = rng.random((batch, seq + 1)) < 0.05
    b = {"inputs": pts[:, :-1], "targets": pts[:, 1:],
         "mask": np.ones((batch, seq), np.float32), "reset": ~reset}
    if model == "synthesis":
        b["chars"] = rng.integers(1, alphabet, size=(batch, chars)).astype(np.int32)
        b["char_mask"] = np.ones((batch, chars), np.float32)
    return b


def fake_meta(config, *, vocab: int = 205, alphabet: int = 80) -> dict:
    """What a kind needs to build its model without the data set."""
    from seqgen.data.transcripts import Alphabet
    from seqgen.data.vocab import Vocab

    if config.kind == "text":
        return {"vocab": Vocab("byte", tuple(range(vocab))).to_dict()}
    meta = {"stats": {"mean": [0.0, 0.0], "std": [1.0, 1.0]}}
    if config.kind == "synthesis":
        chars = [chr(c) for c in range(33, 127)][:alphabet - 1]
        meta["alphabet"] = Alphabet(chars).to_dict()
    return meta


def time_train_step(config, meta: dict, batch_np: dict, *, warmup: int, repeats: int
                    ) -> dict:
    """Compile seconds and step time of seqgen's jitted train step."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from seqgen import kinds, optim, parallel, train

    kind = kinds.make(config, meta)
    model = kind.build_model(nnx.Rngs(0))
    graphdef, params = nnx.split(model, nnx.Param)
    tx = optim.make_optimizer(config, config.num_steps)
    mesh = parallel.make_mesh()
    B = batch_np["reset"].shape[0]
    state = train.TrainState(step=jnp.int32(0), params=params,
                             opt_state=tx.init(params), carry=model.init_carry(B),
                             rng=jax.random.PRNGKey(0))
    state = parallel.shard_like(state, parallel.replicated(mesh)).replace(
        carry=parallel.shard_like(state.carry, parallel.batch_sharded(mesh)))
    batch = parallel.global_batch(batch_np, mesh)
    step = jax.jit(functools.partial(train.train_step, graphdef, tx, kind),
                   donate_argnums=0)
    return {**timing.time_jitted_step(step, (state,), batch, warmup=warmup, repeats=repeats),
            "devices": jax.device_count(), "units": kind.units}


def step_flops(model: str, *, layers: int, hidden: int, batch: int, seq: int, vocab: int,
               skip: bool, chars: int = 40, alphabet: int = 80) -> int:
    """Matmul FLOPs of one train step (benchmarks/flops.py)."""
    if model == "text":
        fwd = flops.lstm_forward_flops(batch, seq, vocab, hidden, layers, vocab, skip=skip)
    elif model == "prediction":
        fwd = flops.lstm_forward_flops(batch, seq, 3, hidden, layers, 6 * 20 + 1, skip=skip)
    else:
        fwd = flops.lstm_forward_flops(batch, seq, 3, hidden, layers, 6 * 20 + 1, skip=skip,
                                       extra_in=alphabet, extra_out=alphabet)
        fwd += flops.window_forward_flops(batch, seq, hidden, 10, chars, alphabet)
    return flops.train_step_flops(fwd)


def summarise(name: str, t: dict, *, symbols: int, step_flop: int, peak_gflops: float
              ) -> dict:
    """Per-implementation row: step time, symbols/s, GFLOP/s, fraction of peak."""
    med = t["median_s"]
    gf = step_flop / med / 1e9
    return {"impl": name, "step_ms_median": 1e3 * med, "step_ms_p10": 1e3 * t["p10_s"],
            "step_ms_p90": 1e3 * t["p90_s"], "n": t["n"], "symbols_per_s": symbols / med,
            "gflops": gf, "fraction_of_peak": gf / peak_gflops,
            "compile_s": t.get("compile_s")}


def handwriting_peer_rows(model: str, batch_np: dict, summary, *, layers: int, hidden: int,
                          alphabet: int, skip: bool, matmul_dtype: str, threads: int,
                          warmup: int, repeats: int) -> list[dict]:
    """--compare for prediction and synthesis: the PyTorch and Flax peers on the
    same batch (M=20, K=10 as step_flops counts), fp32 only."""
    from benchmarks import flax_handwriting, torch_lstm

    # Names fit format_table's 34-character column; the JSON note says more.
    if model == "prediction":
        torch_name = f"pytorch nn.LSTM x{layers} (no peepholes)"
        note = "nn.LSTM layers with Graves' skips, no peepholes, no derivative clipping"
    else:
        torch_name = "pytorch LSTMCell+LSTM no peepholes"
        note = ("layer 1 nn.LSTMCell + soft window stepped in Python, layers 2..N nn.LSTM "
                "over the sequence; no peepholes, no derivative clipping")
    flax_name = "flax nnx.RNN(OptimizedLSTMCell)"
    if matmul_dtype != "float32":
        why = "the handwriting peers are float32 only; compare with --matmul_dtype=float32"
        return [{"impl": torch_name, "skipped": why}, {"impl": flax_name, "skipped": why}]
    rows = []
    if torch_lstm.available():
        from benchmarks import torch_handwriting_train as peer

        kw = {"layers": layers, "hidden": hidden, "threads": threads, "warmup": warmup,
              "repeats": repeats, "skip": skip}
        t = peer.prediction_train_step_time(batch_np, **kw) if model == "prediction" else \
            peer.synthesis_train_step_time(batch_np, alphabet=alphabet, **kw)
        rows.append({**summary(torch_name, t), "note": note,
                     "torch": {"version": t["version"], "threads": t["threads"]}})
    else:
        rows.append({"impl": torch_name, "skipped": "torch not installed "
                     "(pip install -e .[bench], CPU wheel)"})
    if model == "prediction":
        rows.append(summary(flax_name, flax_handwriting.prediction_train_step_time(
            batch_np, layers=layers, hidden=hidden, warmup=warmup, repeats=repeats,
            skip=skip)))
    else:
        rows.append({"impl": flax_name, "skipped": flax_handwriting.SYNTHESIS_SKIPPED})
    return rows


def run(*, model: str, layers: int, hidden: int, batch: int, seq: int, vocab: int = 205,
        chars: int = 40, alphabet: int = 80, skip: bool | None = None,
        matmul_dtype: str = "float32", unroll: int = 1, compare: bool = False,
        threads: int = 0, warmup: int = 3, repeats: int = 20, gemm_size: int = 2048,
        config=None) -> dict:
    """Measure everything the CLI prints; returns the JSON record."""
    from benchmarks import flax_lstm, gemm, torch_lstm

    if config is None:
        skip = (model != "text") if skip is None else skip
        config = model_config(model, layers=layers, hidden=hidden, skip=skip,
                              matmul_dtype=matmul_dtype, unroll=unroll)
    else:
        model = {"text": "text", "handwriting": "prediction"}.get(config.kind, config.kind)
        layers, hidden, skip = config.model.num_layers, config.model.hidden, config.model.skip
        batch, matmul_dtype = config.batch_size, config.model.matmul_dtype
        seq = config.get("seq_len", seq)
    meta = fake_meta(config, vocab=vocab, alphabet=alphabet)
    batch_np = random_batch(model, batch, seq, vocab=vocab, chars=chars, alphabet=alphabet)
    # The peak is a capability: timed before and after the models, the p10
    # call of the better run is kept, so a neighbour's burst does not lower it.
    peak = gemm.gemm_gflops(gemm_size, gemm_size, gemm_size)
    step_flop = step_flops(model, layers=layers, hidden=hidden, batch=batch, seq=seq,
                           vocab=vocab, skip=skip, chars=chars, alphabet=alphabet)
    ours = time_train_step(config, meta, batch_np, warmup=warmup, repeats=repeats)
    summary = functools.partial(summarise, symbols=batch * seq, step_flop=step_flop,
                                peak_gflops=peak["gflops_best"])
    rows = [summary("seqgen", ours)]
    if compare and model == "text":
        if torch_lstm.available():
            t = torch_lstm.train_step_time(
                layers=layers, hidden=hidden, batch=batch, seq=seq, vocab=vocab,
                threads=threads, warmup=warmup, repeats=repeats,
                bf16=matmul_dtype == "bfloat16")
            rows.append(summary("pytorch nn.LSTM" + (" bf16 autocast" if
                                matmul_dtype == "bfloat16" else ""), t))
            rows[-1]["torch"] = {"version": t["version"], "threads": t["threads"]}
        else:
            rows.append({"impl": "pytorch nn.LSTM", "skipped": "torch not installed "
                         "(pip install -e .[bench], CPU wheel)"})
        rows.append(summary("flax nnx.RNN(OptimizedLSTMCell)", flax_lstm.train_step_time(
            layers=layers, hidden=hidden, batch=batch, seq=seq, vocab=vocab,
            warmup=warmup, repeats=repeats)))
    elif compare:
        rows += handwriting_peer_rows(model, batch_np, summary, layers=layers, hidden=hidden,
                                      alphabet=alphabet, skip=skip, matmul_dtype=matmul_dtype,
                                      threads=threads, warmup=warmup, repeats=repeats)
    peak_after = gemm.gemm_gflops(gemm_size, gemm_size, gemm_size)
    if peak_after["gflops_best"] > peak["gflops_best"]:
        for r in rows:
            if "gflops" in r:
                r["fraction_of_peak"] = r["gflops"] / peak_after["gflops_best"]
    peaks = (peak["gflops_best"], peak_after["gflops_best"])
    peak = max(peak, peak_after, key=lambda p: p["gflops_best"])
    base = rows[0]["symbols_per_s"]
    for r in rows:
        if "symbols_per_s" in r:
            r["seqgen_ratio"] = base / r["symbols_per_s"]
    return {
        "benchmark": "throughput", "model": model, "layers": layers, "hidden": hidden,
        "batch": batch, "seq": seq, "vocab": vocab if model == "text" else None,
        "skip": skip, "matmul_dtype": matmul_dtype, "unroll": config.model.unroll,
        "units": ours["units"], "step_gflop": step_flop / 1e9,
        "gemm_peak_gflops": peak["gflops_best"], "gemm_shape": peak["shape"],
        "gemm_gflops_before_after": peaks,
        "devices": ours["devices"], "threads": timing.threads_note(),
        "peak_rss_mb": timing.peak_rss_mb(), "rows": rows,
        "note": "peak_rss_mb is the whole process's peak RSS (all implementations run)",
    }


def format_table(r: dict) -> str:
    head = (f"{r['model']} {r['layers']}x{r['hidden']} B={r['batch']} T={r['seq']} "
            f"{r['matmul_dtype']}: {r['step_gflop']:.1f} GFLOP/step, GEMM peak "
            f"{r['gemm_peak_gflops']:.0f} GFLOP/s, peak RSS {r['peak_rss_mb']:.0f} MiB")
    lines = [head, f"{'implementation':34s} {'step ms (p10-p90)':>22s} "
             f"{r['units'] + '/s':>10s} {'GFLOP/s':>8s} {'of peak':>8s} {'compile':>8s} "
             f"{'seqgen x':>8s}"]
    for row in r["rows"]:
        if "skipped" in row:
            lines.append(f"{row['impl']:34s} skipped: {row['skipped']}")
            continue
        spread = f"{row['step_ms_median']:.1f} ({row['step_ms_p10']:.1f}-" \
                 f"{row['step_ms_p90']:.1f})"
        comp = "-" if row["compile_s"] is None else f"{row['compile_s']:.1f} s"
        lines.append(f"{row['impl']:34s} {spread:>22s} {row['symbols_per_s']:10,.0f} "
                     f"{row['gflops']:8.1f} {row['fraction_of_peak']:8.0%} {comp:>8s} "
                     f"{row['seqgen_ratio']:8.2f}")
    return "\n".join(lines)


def main(argv):
    del argv
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    model = FLAGS.model
    d = TEXT_DEFAULTS if model == "text" else HANDWRITING_DEFAULTS
    r = run(model=model, layers=FLAGS.layers or d["layers"], hidden=FLAGS.hidden or d["hidden"],
            batch=FLAGS.batch, seq=FLAGS.seq or d["seq"], vocab=FLAGS.vocab,
            chars=FLAGS.chars, alphabet=FLAGS.alphabet, skip=FLAGS.skip,
            matmul_dtype=FLAGS.matmul_dtype, unroll=FLAGS.unroll, compare=FLAGS.compare,
            threads=FLAGS.threads, warmup=FLAGS.warmup, repeats=FLAGS.repeats,
            gemm_size=FLAGS.gemm_size, config=FLAGS.config)
    if FLAGS.config is not None:
        r["config"] = os.environ.get("BENCH_NAME",
                                     config_flags.get_config_filename(FLAGS["config"]))
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main)
