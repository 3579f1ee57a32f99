"""The text recipe at equal wall time: seqgen's configs/default.py against a
plain PyTorch char-LSTM baseline of the same shape, on the same data.

  python -m benchmarks.recipe --minutes=5                 # the embedded Shakespeare
  python -m tools.prepare_text --source=kjv --out=kjv.txt        # held-out texts
  python -m tools.prepare_text --source=devil --out=devil.txt
  python -m benchmarks.recipe --text=kjv.txt --minutes=3
  python -m benchmarks.recipe --text=devil.txt --minutes=3

configs/default.py's recipe (forget-gate bias 0, peak rate 6e-3) was chosen
by ablations scored on the embedded Shakespeare's validation split, the very
split this benchmark reports for it: there seqgen's lead is flattered by
that choice. The fair comparison is on texts never used to choose it, such
as the two tools/prepare_text.py makes (the King James Bible and Bierce's
The Devil's Dictionary).

Both train on the same split of the same text (seqgen's text_file /
shakespeare preparation: the last 5% test, the 5% before it validation) with
the same 32 streams of 100-symbol windows in the same order
(data.tbptt.TBPTTBatcher, state carried across windows), 2x256 cells.

- seqgen: configs/default.py as shipped (Adam 6e-3 with 50 warm-up steps
  and a cosine decay, forget-gate bias 0, peepholes, skip connections,
  Graves' derivative clipping), its num_steps set so that training fits the budget (the step
  time is measured first on the real shapes), validation at the end.
- PyTorch: nn.LSTM(2 layers) on one-hot input, a linear softmax head,
  Adam 2e-3, global-norm clipping 5, the state detached and carried; it
  trains for the seconds seqgen's training took and is also evaluated at
  seqgen's step count, for the comparison at equal steps.

One clock for both budgets: the training steps are cut into the same
windows (step 1, which holds compilation or warm-up and is not counted,
then every log_every steps), each window timed by wall clock from the end
of the one before, batch building included and evaluation excluded; a
side's training seconds are its steps' characters over the median rate
(chars/s) of its windows. seqgen's windows are its own logged ones (train.py); the
PyTorch loop times the same windows and stops once its steps times its
median reach seqgen's seconds. The table gives each side's median and the
spread (min-max) of its windows' rates.

Validation BPC runs over the whole validation split with the state carried
from window to window (data.tbptt.eval_batches), the same for both. One
table, and JSON with --json_out. Nothing else should run meanwhile.

Dimension letters: B streams, T window, V vocabulary, H cells.
"""

from __future__ import annotations

import json
import math
import pathlib
import tempfile
import time

import ml_collections
import numpy as np
from absl import app, flags

from benchmarks import timing
from seqgen.command import flag_checks as fc
from seqgen.config import files as config_files

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("text", "", "A UTF-8 text file ('' = the embedded Shakespeare).")
    flags.DEFINE_float("minutes", 5.0, "Training budget of each side, minutes.")
    flags.DEFINE_integer("threads", 0, "Threads for XLA and torch (0 = library defaults).")
    flags.DEFINE_string("json_out", "", "Also write the result here as JSON.")


def default_config(text: str) -> ml_collections.ConfigDict:
    """configs/default.py, reading `text` (or the embedded corpus)."""
    module = config_files.load_module("configs/default.py", "default")
    c = module.get_config()
    if text:
        c.data.dataset, c.data.path = "text_file", str(pathlib.Path(text).expanduser())
    return c


def seqgen_step_seconds(c: ml_collections.ConfigDict) -> float:
    """Median seconds of the recipe's jitted train step on its real shapes."""
    from benchmarks import throughput
    from seqgen import kinds

    kind = kinds.make_example(c)
    t = throughput.time_train_step(kind, kind.example_batch(c.batch_size), warmup=2,
                                   repeats=5)
    return t["median_s"]


def window_rates(workdir: str) -> list[float]:
    """Chars per second of each logged training window of a run (train.py:
    wall time between two log lines, evaluation excluded; the first window,
    which holds the compilation, has none)."""
    rows = (json.loads(line) for line in
            (pathlib.Path(workdir) / "metrics.jsonl").read_text().splitlines())
    return [r["chars_per_s"] for r in rows if r["split"] == "train" and "chars_per_s" in r]


def clocked(steps: int, chars_per_step: int, rates: list[float]) -> dict:
    """Training seconds and rate on the one clock both sides use: the steps'
    characters over the median rate of the timed windows."""
    rate = float(np.median(rates))
    return {"steps": steps, "train_seconds": steps * chars_per_step / rate,
            "chars_per_s": rate, "chars_per_s_min": float(min(rates)),
            "chars_per_s_max": float(max(rates)), "windows": len(rates)}


def log_every(steps: int) -> int:
    return max(steps // 20, 1)


def run_seqgen(c: ml_collections.ConfigDict, steps: int, workdir: str) -> dict:
    """train_and_evaluate for `steps` steps, on the one clock (module doc)."""
    import jax

    from seqgen import train

    c.num_steps, c.eval_every, c.eval_test = steps, steps, False
    c.log_every, c.checkpoint_every = log_every(steps), steps
    summary = train.train_and_evaluate(c, workdir, devices=jax.devices()[:1])
    return {**clocked(steps, c.batch_size * c.seq_len, window_rates(workdir)),
            "valid_bpc": summary["valid"]["bpc"]}


def run_torch(splits, c: ml_collections.ConfigDict, seconds: float, eval_at: int,
              window: int, threads: int) -> dict:
    """The PyTorch baseline for `seconds` of training on the one clock (module
    doc): windows of `window` steps after step 1, evaluation excluded."""
    import torch
    import torch.nn.functional as F

    from seqgen.data import tbptt

    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(c.seed)
    V, H, N = splits.vocab.size, c.model.hidden, c.model.num_layers
    lstm = torch.nn.LSTM(V, H, num_layers=N, batch_first=True)
    head = torch.nn.Linear(H, V)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    batcher = tbptt.TBPTTBatcher(splits.train, c.batch_size, c.seq_len, seed=c.seed)

    def forward(ids_BxT, state):
        x_BxTxV = F.one_hot(torch.as_tensor(ids_BxT, dtype=torch.long), V).float()
        h_BxTxH, state = lstm(x_BxTxV, state)
        return head(h_BxTxH), state

    def reset(state, reset_B):
        if state is None:
            return None
        keep = torch.as_tensor(~reset_B, dtype=torch.float32)[None, :, None]
        return tuple(s.detach() * keep for s in state)

    def valid_bpc() -> float:
        nll, count, state = 0.0, 0.0, None
        with torch.inference_mode():
            for b in tbptt.eval_batches(splits.valid, c.eval_batch_size, c.seq_len):
                state = reset(state, b["reset"])
                logits, state = forward(b["inputs"], state)
                mask = torch.as_tensor(b.get("mask", np.ones(b["targets"].shape)))
                ce = F.cross_entropy(logits.reshape(-1, V), torch.as_tensor(
                    b["targets"], dtype=torch.long).reshape(-1), reduction="none")
                nll += float((ce * mask.reshape(-1)).sum())
                count += float(mask.sum())
        return nll / count / math.log(2)

    chars = c.batch_size * c.seq_len
    state, step, at_steps, rates = None, 0, None, []
    t_window, start = None, 0  # step 1 (torch's own warm-up) is outside every window
    while not rates or step * chars / np.median(rates) < seconds:
        b = batcher.batch(step)
        state = reset(state, b["reset"])
        logits, state = forward(b["inputs"], state)
        loss = F.cross_entropy(logits.reshape(-1, V),
                               torch.as_tensor(b["targets"], dtype=torch.long).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        step += 1
        if step == eval_at:
            t_eval = time.perf_counter()
            at_steps = valid_bpc()
            if t_window is not None:  # evaluation is not training time
                t_window += time.perf_counter() - t_eval
        # The same windows as train.py's log lines: ends at step 1 and every
        # `window` steps, wall clock from the end of the one before.
        if step == 1 or step % window == 0:
            now = time.perf_counter()
            if t_window is not None:
                rates.append((step - start) * chars / (now - t_window))
            t_window, start = now, step
    return {**clocked(step, chars, rates), "valid_bpc": valid_bpc(),
            "valid_bpc_at_seqgen_steps": at_steps,
            "version": torch.__version__, "threads": torch.get_num_threads()}


def run(text: str, minutes: float, threads: int = 0, workdir: str = "") -> dict:
    from seqgen.data.text import load_text

    c = default_config(text)
    splits = load_text(c.data)
    steps = max(int(minutes * 60 / seqgen_step_seconds(c)), 2)
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_seqgen(c, steps, workdir or tmp)
    theirs = run_torch(splits, c, ours["train_seconds"], steps, log_every(steps),
                       threads)
    return {"benchmark": "recipe", "text": text or "embedded Shakespeare",
            "vocab": splits.vocab.size,
            "chars": {s: int(len(getattr(splits, s))) for s in ("train", "valid", "test")},
            "minutes": minutes, "seqgen": ours, "pytorch": theirs,
            "threads": timing.threads_note()}


def format_table(r: dict) -> str:
    s, t = r["seqgen"], r["pytorch"]

    def rate(x: dict) -> str:
        return (f"{x['chars_per_s']:,.0f} ({x['chars_per_s_min']:,.0f}-"
                f"{x['chars_per_s_max']:,.0f}, {x['windows']} windows)")

    at = "-" if t["valid_bpc_at_seqgen_steps"] is None else \
        f"{t['valid_bpc_at_seqgen_steps']:.3f}"
    return "\n".join([
        f"{r['text']}: {r['chars']['train']:,} train / {r['chars']['valid']:,} valid chars, "
        f"2x256, B=32, T=100, {r['minutes']:g} min budget",
        "| | seqgen configs/default.py | PyTorch nn.LSTM + Adam 2e-3, clip 5 |",
        "|---|---|---|",
        f"| training seconds (steps x median step) | {s['train_seconds']:.0f} | "
        f"{t['train_seconds']:.0f} |",
        f"| steps | {s['steps']:,} | {t['steps']:,} |",
        f"| chars/s, median (min-max) of timed windows | {rate(s)} | {rate(t)} |",
        f"| valid BPC at equal time | {s['valid_bpc']:.3f} | {t['valid_bpc']:.3f} |",
        f"| valid BPC at seqgen's {s['steps']:,} steps | {s['valid_bpc']:.3f} | {at} |"])


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "text": fc.optional_file,
    "minutes": fc.between(0.01, 100_000.0, "training minutes of each side"),
    "threads": fc.THREADS,
    "json_out": fc.JSON_OUT,
}


def main(argv):
    del argv
    fc.check_or_exit(RULES, FLAGS.flag_values_dict())
    timing.cap_xla_threads(FLAGS.threads)  # before the first (lazy) jax import
    r = run(FLAGS.text, FLAGS.minutes, FLAGS.threads)
    print(format_table(r))
    timing.write_json(FLAGS.json_out, r)


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
