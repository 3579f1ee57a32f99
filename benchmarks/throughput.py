"""Train-step throughput of seqgen's models, and of the peers on the same shapes.

  python -m benchmarks.throughput --model=text --layers=2 --hidden=512 --noskip \
      --batch=32 --seq=100 --vocab=205 --compare
  python -m benchmarks.throughput --model=handwriting    # Graves' 3x400, M=20, 700 points
  python -m benchmarks.throughput --model=synthesis      # 3x400, K=10, 700 points
  python -m benchmarks.throughput --config=configs/enwik8.py:smoke --repeats=30

--model is any kind (config.kind): its base config sized by the shape
flags, and its example_batch and example_meta (kinds/base.py) stand in for
the dataset, so no data set is needed. Compiles the jitted train step (timed
separately), warms up, then times `--repeats` steps one by one with
block_until_ready. Prints and writes (--json_out) the median and p10/p90
step time, symbols per second, the matmul GFLOP/s achieved
(benchmarks/flops.py gives the formula), that as a fraction of a square
fp32 GEMM timed in the same process (its p10 call, the better of a run
before and one after the models), the compile time and the process's peak
RSS. --compare runs the kind's peers (PEERS below) on the same shapes in
the same process and prints seqgen's ratio to each: for text PyTorch
nn.LSTM (if installed) and Flax's nnx.RNN(OptimizedLSTMCell)
(benchmarks/torch_lstm.py, flax_lstm.py); for handwriting a stack of
nn.LSTM / nnx.RNN layers with Graves' skips and mixture loss
(torch_handwriting_train.py, flax_handwriting.py); for synthesis an
nn.LSTMCell + soft-window loop then nn.LSTM layers (no Flax peer: the row
says why). --compare also times seqgen itself with autodiff of its scans in
place of the hand-written backward (the row "seqgen, autodiff backward").
--compiled_peers (on by default in the CLI) also times each PyTorch peer
in the forms a user chasing speed would write (torch.compile, and for
synthesis torch.jit.script of its loop; benchmarks/compiled_peers.py), each
checked against the eager peer first; a form that disagrees or raises is a
FAILED row. "fastest_peer" in the JSON names the fastest PyTorch row, the
one suite.py's targets use. "threads_seen" records the threads the process
really ran (XLA's Eigen pool by name), each torch row torch's own counts.
The handwriting peers are float32 only and, like the text peers, have no
peepholes; nor do they clip derivatives as seqgen does.

The text peers have no skip connections: compare with --noskip (Graves'
cell keeps its peepholes, which the peers lack: seqgen does slightly more
work). --threads=N caps XLA's and PyTorch's threads (0 = their defaults);
run `taskset -c ...` to pin cores. Nothing else should run meanwhile.
"""

from __future__ import annotations

import copy
import functools
import os

import numpy as np
from absl import app, flags
from ml_collections import config_flags

from benchmarks import flops, timing
from seqgen.command import flag_checks as fc
from seqgen.config import files as config_files

FLAGS = flags.FLAGS


def _define_flags() -> None:
    # Only when run as a script: tests and the suite import this module.
    config_files.DEFINE_config_file("config", "Config file or shipped config name "
                                    "(configs/*.py[:arg]); overrides --model and the shape flags.")
    flags.DEFINE_string("model", "text", "A kind (config.kind): text, handwriting, synthesis "
                        "or a dotted module; its base config with the flags' shapes.")
    flags.DEFINE_integer("layers", 0, "LSTM layers N (0 = the kind's base config: 2 text, "
                         "3 handwriting).")
    flags.DEFINE_integer("hidden", 0, "Cells per layer H (0 = the base config's: 256 text, "
                         "400 handwriting).")
    flags.DEFINE_integer("batch", 32, "Sequences per step B.")
    flags.DEFINE_integer("seq", 0, "Steps T per sequence (0 = the kind's example length: "
                         "seq_len 100 for text, sample.length 700 points for handwriting).")
    flags.DEFINE_integer("vocab", 205, "Text vocabulary V (enwik8: 205).")
    flags.DEFINE_integer("chars", 40, "Synthesis: characters U of each line's text.")
    flags.DEFINE_integer("alphabet", 80, "Synthesis: alphabet size C (IAM-OnDB: ~80).")
    flags.DEFINE_bool("skip", None, "Skip connections (default: the base config's, on; the "
                      "text peers have none: compare with --noskip).")
    flags.DEFINE_enum("matmul_dtype", "float32", ["float32", "bfloat16"],
                      "seqgen matmul inputs; bfloat16 also runs the torch peer under autocast.")
    flags.DEFINE_integer("unroll", 1, "lax.scan unroll factor of the recurrence.")
    flags.DEFINE_bool("compare", False, "Also time the PyTorch and Flax peers.")
    flags.DEFINE_bool("compiled_peers", True, "With --compare, also time the PyTorch peers "
                      "under torch.compile / torch.jit.script (each checked against eager).")
    flags.DEFINE_integer("threads", 0, "Threads for XLA and torch (0 = library defaults).")
    flags.DEFINE_integer("warmup", 3, "Untimed steps after compilation.")
    flags.DEFINE_integer("repeats", 20, "Timed steps.")
    flags.DEFINE_integer("gemm_size", 2048, "Side of the square GEMM that sets the peak.")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


def model_config(model: str, *, layers: int = 0, hidden: int = 0, skip: bool | None = None,
                 matmul_dtype: str = "float32", unroll: int = 1):
    """The kind's base config (Graves' derivative clips, its mixture and
    window sizes) with these shapes (0 / None: the base's), Adam."""
    from seqgen import kinds

    c = kinds.get(model).default_config()
    c.model.num_layers = layers or c.model.num_layers
    c.model.hidden = hidden or c.model.hidden
    c.model.skip = c.model.skip if skip is None else skip
    c.model.matmul_dtype, c.model.unroll = matmul_dtype, unroll
    c.optim.name, c.optim.learning_rate, c.optim.schedule = "adam", 2e-3, "constant"
    return c


def example_batch(config, batch: int, seq: int = 0, **sizes: int) -> dict[str, np.ndarray]:
    """Host arrays shaped like the kind's training batches (its example_batch)."""
    from seqgen import kinds

    return kinds.make_example(config, **sizes).example_batch(batch, seq or None, **sizes)


def time_train_step(kind, batch_np: dict, *, warmup: int, repeats: int) -> dict:
    """Compile seconds and step time of seqgen's jitted train step."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from seqgen import optim, parallel, steps

    config = kind.config
    model = kind.build_model(nnx.Rngs(0))
    graphdef, params = nnx.split(model, nnx.Param)
    tx = optim.make_optimizer(config, config.num_steps)
    mesh = parallel.make_mesh()
    B = batch_np["reset"].shape[0]
    state = steps.TrainState(step=jnp.int32(0), params=params,
                             opt_state=tx.init(params), carry=model.init_carry(B),
                             rng=jax.random.PRNGKey(0))
    state = parallel.shard_like(state, parallel.replicated(mesh)).replace(
        carry=parallel.shard_like(state.carry, parallel.batch_sharded(mesh)))
    batch = parallel.global_batch(batch_np, mesh)
    step = jax.jit(functools.partial(steps.train_step, graphdef, tx, kind),
                   donate_argnums=0)
    return {**timing.time_jitted_step(step, (state,), batch, warmup=warmup, repeats=repeats),
            "devices": jax.device_count(), "units": kind.units}


def summarise(name: str, t: dict, *, symbols: int, step_flop: int | None, peak_gflops: float
              ) -> dict:
    """Per-implementation row: step time, symbols/s, GFLOP/s, fraction of peak."""
    med = t["median_s"]
    gf = None if step_flop is None else step_flop / med / 1e9  # no formula for the kind
    return {"impl": name, "step_ms_median": 1e3 * med, "step_ms_p10": 1e3 * t["p10_s"],
            "step_ms_p90": 1e3 * t["p90_s"], "n": t["n"], "symbols_per_s": symbols / med,
            "gflops": gf, "fraction_of_peak": None if gf is None else gf / peak_gflops,
            "compile_s": t.get("compile_s")}


_NO_TORCH = "torch not installed (pip install -e .[bench], CPU wheel)"


def form_row(summary, form: dict, name: str, note: str = "") -> dict:
    """One PyTorch form's row: timed, or FAILED with why (never dropped)."""
    extra = {"interop_threads": form.get("interop_threads"),
             "form": None if form["form"] == "eager" else form["form"],
             "compile_s": form.get("compile_s"), "max_rel_diff_vs_eager": form.get("max_rel_diff")}
    torch_info = {"version": form["version"], "threads": form["threads"],
                  **{k: v for k, v in extra.items() if v is not None}}
    if "failed" in form:
        return {"impl": name, "failed": form["failed"], "torch": torch_info}
    row = {**summary(name, form), "torch": torch_info}
    return {**row, "note": note} if note else row


def text_peers(kind, batch_np: dict, summary, *, threads: int, warmup: int,
               repeats: int, compiled: bool = False) -> list[dict]:
    """PyTorch nn.LSTM (cuDNN-style fused; eager and, compiled=True, its loss
    under torch.compile) and Flax nnx.RNN(OptimizedLSTMCell)."""
    from benchmarks import flax_lstm, torch_lstm

    m = kind.config.model
    (batch, seq), vocab, bf16 = batch_np["inputs"].shape, kind.vocab.size, \
        m.matmul_dtype == "bfloat16"
    shape = {"layers": m.num_layers, "hidden": m.hidden, "batch": batch, "seq": seq,
             "vocab": vocab, "warmup": warmup, "repeats": repeats}
    rows = []
    name = "pytorch nn.LSTM" + (" bf16 autocast" if bf16 else "")
    if torch_lstm.available():
        forms = torch_lstm.train_forms(**shape, threads=threads, bf16=bf16) if compiled else [
            {"form": "eager", **torch_lstm.train_step_time(**shape, threads=threads, bf16=bf16)}]
        rows += [form_row(summary, f, name if f["form"] == "eager" else
                          f"{name} {f['form']}") for f in forms]
    else:
        rows.append({"impl": name, "skipped": _NO_TORCH})
    rows.append(summary("flax nnx.RNN(OptimizedLSTMCell)", flax_lstm.train_step_time(**shape)))
    return rows


def _handwriting_peers(kind, batch_np: dict, summary, *, torch_name: str, note: str,
                       torch_time, flax_row, threads: int, warmup: int, repeats: int,
                       compiled: bool = False) -> list[dict]:
    """The PyTorch and Flax peers of prediction or synthesis, fp32 only."""
    from benchmarks import torch_lstm

    flax_name = "flax nnx.RNN(OptimizedLSTMCell)"
    if kind.config.model.matmul_dtype != "float32":
        why = "the handwriting peers are float32 only; compare with --matmul_dtype=float32"
        return [{"impl": torch_name, "skipped": why}, {"impl": flax_name, "skipped": why}]
    m = kind.config.model
    kw = {"layers": m.num_layers, "hidden": m.hidden, "threads": threads, "warmup": warmup,
          "repeats": repeats, "skip": m.skip}
    rows = []
    if torch_lstm.available():
        rows += [form_row(summary, f, torch_name if f["form"] == "eager" else
                          f"{torch_name} {f['form']}", note)
                 for f in torch_time(batch_np, **kw, compiled=compiled)]
    else:
        rows.append({"impl": torch_name, "skipped": _NO_TORCH})
    rows.append(flax_row(flax_name, kw))
    return rows


def handwriting_peers(kind, batch_np: dict, summary, **opts) -> list[dict]:
    """A stack of nn.LSTM / nnx.RNN layers with Graves' skips and mixture loss."""
    from benchmarks import flax_handwriting

    def torch_time(b, **kw):
        from benchmarks import torch_handwriting_train as peer
        return peer.prediction_train_forms(b, **kw)

    def flax_row(name, kw):
        return summary(name, flax_handwriting.prediction_train_step_time(
            batch_np, layers=kw["layers"], hidden=kw["hidden"], warmup=kw["warmup"],
            repeats=kw["repeats"], skip=kw["skip"]))

    # Names fit format_table's 48-character column; the JSON note says more.
    return _handwriting_peers(
        kind, batch_np, summary, torch_time=torch_time, flax_row=flax_row,
        torch_name=f"pytorch nn.LSTM x{kind.config.model.num_layers} (no peepholes)",
        note="nn.LSTM layers with Graves' skips, no peepholes, no derivative clipping",
        **opts)


def synthesis_peers(kind, batch_np: dict, summary, **opts) -> list[dict]:
    """nn.LSTMCell + soft window stepped in Python, then nn.LSTM; no Flax peer."""
    from benchmarks import flax_handwriting

    def torch_time(b, **kw):
        from benchmarks import torch_handwriting_train as peer
        return peer.synthesis_train_forms(b, alphabet=kind.alphabet.size, **kw)

    return _handwriting_peers(
        kind, batch_np, summary, torch_time=torch_time,
        flax_row=lambda name, kw: {"impl": name, "skipped": flax_handwriting.SYNTHESIS_SKIPPED},
        torch_name="pytorch LSTMCell+LSTM no peepholes",
        note=("layer 1 nn.LSTMCell + soft window stepped in Python, layers 2..N nn.LSTM "
              "over the sequence; no peepholes, no derivative clipping"), **opts)


# kind -> its peers on the same shapes (--compare); a kind without an entry has none.
PEERS = {"text": text_peers, "handwriting": handwriting_peers, "synthesis": synthesis_peers}


def run(*, model: str = "text", layers: int = 0, hidden: int = 0, batch: int = 32,
        seq: int = 0, vocab: int = 205, chars: int = 40, alphabet: int = 80,
        skip: bool | None = None, matmul_dtype: str = "float32", unroll: int = 1,
        compare: bool = False, threads: int = 0, warmup: int = 3, repeats: int = 20,
        gemm_size: int = 2048, config=None, compiled_peers: bool = False) -> dict:
    """Measure everything the CLI prints; returns the JSON record. `model` is
    a kind (any config.kind); `config` (a config file's) overrides it and the
    shape arguments but the example sizes (vocab, chars, alphabet)."""
    from benchmarks import gemm
    from seqgen import kinds

    if config is None:
        config = model_config(model, layers=layers, hidden=hidden, skip=skip,
                              matmul_dtype=matmul_dtype, unroll=unroll)
    else:
        batch = config.batch_size
    sizes = {"vocab": vocab, "chars": chars, "alphabet": alphabet}
    kind = kinds.make_example(config, **sizes)
    batch_np = kind.example_batch(batch, seq or None, **sizes)
    seq = batch_np["inputs"].shape[1]
    # The peak is a capability: timed before and after the models, the p10
    # call of the better run is kept, so a neighbour's burst does not lower it.
    peak = gemm.gemm_gflops(gemm_size, gemm_size, gemm_size)
    step_flop = flops.train_step_flops(flops.forward_flops(kind, batch_np))
    ours = time_train_step(kind, batch_np, warmup=warmup, repeats=repeats)
    summary = functools.partial(summarise, symbols=batch * seq, step_flop=step_flop,
                                peak_gflops=peak["gflops_best"])
    rows = [summary("seqgen", ours)]
    if compare:
        # The same model with autodiff of its scans instead of the hand-written
        # backward (LSTMOptions.backward): the before/after of that work.
        ref = copy.deepcopy(config)
        ref.model.backward = "autodiff"
        rows.append(summary("seqgen, autodiff backward", time_train_step(
            kinds.make_example(ref, **sizes), batch_np, warmup=warmup, repeats=repeats)))
        peers = PEERS.get(config.kind)
        rows += peers(kind, batch_np, summary, threads=threads, warmup=warmup,
                      repeats=repeats, compiled=compiled_peers) if peers else [
            {"impl": "peers", "skipped": f"no peers for kind {config.kind!r}"}]
    peak_after = gemm.gemm_gflops(gemm_size, gemm_size, gemm_size)
    if peak_after["gflops_best"] > peak["gflops_best"]:
        for r in rows:
            if r.get("gflops"):
                r["fraction_of_peak"] = r["gflops"] / peak_after["gflops_best"]
    peaks = (peak["gflops_best"], peak_after["gflops_best"])
    peak = max(peak, peak_after, key=lambda p: p["gflops_best"])
    base = rows[0]["symbols_per_s"]
    for r in rows:
        if "symbols_per_s" in r:
            r["seqgen_ratio"] = base / r["symbols_per_s"]
    m = config.model
    return {
        "benchmark": "throughput", "model": config.kind, "layers": m.num_layers,
        "hidden": m.hidden, "batch": batch, "seq": seq, "example_sizes": sizes,
        "skip": m.skip, "matmul_dtype": m.matmul_dtype, "unroll": m.unroll,
        "units": ours["units"],
        "step_gflop": None if step_flop is None else step_flop / 1e9,
        "gemm_peak_gflops": peak["gflops_best"], "gemm_shape": peak["shape"],
        "gemm_gflops_before_after": peaks,
        "devices": ours["devices"], "threads": timing.threads_note(),
        "threads_seen": timing.threads_seen(), "fastest_peer": fastest_peer(rows),
        "peak_rss_mb": timing.peak_rss_mb(), "rows": rows,
        "note": "peak_rss_mb is the whole process's peak RSS (all implementations run)",
    }


def format_table(r: dict) -> str:
    gflop = "-" if r["step_gflop"] is None else f"{r['step_gflop']:.1f}"
    head = (f"{r['model']} {r['layers']}x{r['hidden']} B={r['batch']} T={r['seq']} "
            f"{r['matmul_dtype']}: {gflop} GFLOP/step, GEMM peak "
            f"{r['gemm_peak_gflops']:.0f} GFLOP/s, peak RSS {r['peak_rss_mb']:.0f} MiB")
    lines = [head, f"{'implementation':48s} {'step ms (p10-p90)':>22s} "
             f"{r['units'] + '/s':>10s} {'GFLOP/s':>8s} {'of peak':>8s} {'compile':>8s} "
             f"{'seqgen x':>8s}"]
    for row in r["rows"]:
        if "skipped" in row:
            lines.append(f"{row['impl']:48s} skipped: {row['skipped']}")
            continue
        if "failed" in row:
            lines.append(f"{row['impl']:48s} FAILED: {row['failed']}")
            continue
        spread = f"{row['step_ms_median']:.1f} ({row['step_ms_p10']:.1f}-" \
                 f"{row['step_ms_p90']:.1f})"
        comp = "-" if row["compile_s"] is None else f"{row['compile_s']:.1f} s"
        gf, of_peak = ("-", "-") if row["gflops"] is None else (
            f"{row['gflops']:.1f}", f"{row['fraction_of_peak']:.0%}")
        if comp == "-" and (row.get("torch") or {}).get("compile_s"):
            comp = f"{row['torch']['compile_s']:.1f} s"  # the compiled form's first call
        lines.append(f"{row['impl']:48s} {spread:>22s} {row['symbols_per_s']:10,.0f} "
                     f"{gf:>8s} {of_peak:>8s} {comp:>8s} "
                     f"{row['seqgen_ratio']:8.2f}")
    if r.get("fastest_peer"):
        lines.append(f"fastest PyTorch peer: {r['fastest_peer']}")
    return "\n".join(lines)


def fastest_peer(rows: list[dict]) -> str | None:
    """The PyTorch row with the most symbols/s (the one the targets use)."""
    timed = [r for r in rows if r["impl"].startswith("pytorch") and "symbols_per_s" in r]
    return max(timed, key=lambda r: r["symbols_per_s"])["impl"] if timed else None


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "config": fc.anything,  # parsed by seqgen/config/files.py as it is read
    "model": fc.non_empty("a kind: text, handwriting, synthesis or a dotted module"),
    "layers": fc.between(0, 1000, "0 = the kind's base config"),
    "hidden": fc.between(0, 100_000, "0 = the base config's"),
    "batch": fc.between(1, 65_536),
    "seq": fc.between(0, 1_000_000, "0 = the kind's example length"),
    "vocab": fc.between(2, 10_000_000),
    "chars": fc.between(1, 100_000),
    "alphabet": fc.between(2, 100_000),
    "skip": fc.anything,
    "matmul_dtype": fc.one_of("float32", "bfloat16"),
    "unroll": fc.between(1, 10_000),
    "compare": fc.anything,
    "compiled_peers": fc.anything,
    "threads": fc.THREADS,
    "warmup": fc.between(0, 100_000),
    "repeats": fc.between(1, 100_000),
    "gemm_size": fc.between(1, 65_536),
    "json_out": fc.JSON_OUT,
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    r = run(model=FLAGS.model, layers=FLAGS.layers, hidden=FLAGS.hidden, batch=FLAGS.batch,
            seq=FLAGS.seq, vocab=FLAGS.vocab, chars=FLAGS.chars, alphabet=FLAGS.alphabet,
            skip=FLAGS.skip, matmul_dtype=FLAGS.matmul_dtype, unroll=FLAGS.unroll,
            compare=FLAGS.compare, threads=FLAGS.threads, warmup=FLAGS.warmup,
            repeats=FLAGS.repeats, gemm_size=FLAGS.gemm_size, config=FLAGS.config,
            compiled_peers=FLAGS.compiled_peers)
    if FLAGS.config is not None:
        r["config"] = os.environ.get("BENCH_NAME",
                                     config_flags.get_config_filename(FLAGS["config"]))
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
