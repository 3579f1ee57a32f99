"""Trials of a 1997 task: online SGD until the task's criterion says solved,
or until the cap of training sequences says failed.

Online training is tens of thousands of tiny updates, so nothing here
dispatches per update: one jitted call runs `train.chunk` updates as a
`lax.scan`, and `jax.vmap` runs every trial (its own initial weights, its
own data stream) in the same program. Criteria:

  recent  (adding, multiplication, 2c, temporal order) judged inside the
          scan after every update, exactly: the last `window` training
          sequences (each judged by its forward pass before its update)
          hold at most `max_wrong` wrong ones and their mean squared error
          is at most `max_mse`. Then `num_test` fresh sequences are tested.
  fixed   (Reber, 2a, periodic) judged after every chunk on the task's fixed
          sets; sequences until success are counted to the chunk's end.

A trial that succeeds or whose weights stop being finite is frozen while
the others go on. Dimension letters: R trials, C updates per chunk,
M sequences per update, N sequences, T time steps.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.tasks import nets, objective, online
from seqgen.tasks import problem as problem_lib
from seqgen.tasks.generators import Sequences
from seqgen.tasks.lstm1997 import num_weights

EVAL_BLOCK = 256  # sequences per forward pass when testing (bounds memory)


@dataclasses.dataclass
class TrialResult:
    trial: int
    success: bool
    sequences: int  # training sequences until success; if failed, all trained
    diverged: bool  # weights became non-finite (counts as failed)
    test_wrong: int  # wrongly processed test (or fixed-set) sequences at the end
    test_total: int


@dataclasses.dataclass
class RunResult:
    task: str
    model: str
    net: str
    weights: int
    learning_rate: float
    cap: int  # max training sequences per trial
    seconds: float
    trials: list[TrialResult]

    @property
    def successes(self) -> list[TrialResult]:
        return [t for t in self.trials if t.success]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _stack(trees: Sequence) -> object:
    return jax.tree.map(lambda *a: np.stack(a), *trees)


def _chunk_arrays(seqs: Sequence[Sequences], C: int, M: int, T: int) -> dict:
    """Per trial C*M sequences -> dict of [R, C, M, T, ...] arrays."""
    out = []
    for s in seqs:
        b = objective.as_batch(s.pad_to(T))
        out.append({k: v.reshape((C, M) + v.shape[1:]) for k, v in b.items()})
    return _stack(out)


def check_config(config: ml_collections.ConfigDict) -> None:
    c = config.criterion
    objective.check_config(config.output.activation, config.output.loss, c.rule)
    if c.kind not in ("recent", "fixed"):
        raise ConfigError(f"config.criterion.kind={c.kind!r}; use 'recent' or 'fixed'")
    M = config.train.batch_size
    if M < 1 or config.train.chunk < 1 or config.train.max_sequences < 1:
        raise ConfigError("config.train.batch_size, .chunk and .max_sequences must be >= 1")
    if c.kind == "recent" and c.window % M:
        raise ConfigError(f"config.criterion.window={c.window} must be a multiple of "
                          f"config.train.batch_size={M}")


def _make_chunk_fn(graphdef, lr: float, obj: dict, crit: ml_collections.ConfigDict,
                   M: int, online_opts=None):
    """online_opts: the LSTM1997Options when the paper's per-step rule trains."""
    recent = crit.kind == "recent"
    W = max(crit.window // M, 1)  # updates in the judged window

    def sgd(params, batch):
        """One update from the mean truncated/full gradient over M sequences."""
        def loss_fn(p):
            z_MxTxK = nnx.merge(graphdef, p)(batch["x"])
            loss_M, err_M, ok_M = objective.per_sequence(z_MxTxK, batch, **obj)
            return jnp.mean(loss_M), (err_M, ok_M)

        (_, (err_M, ok_M)), g = jax.value_and_grad(loss_fn, has_aux=True)(params)
        return jax.tree.map(lambda p, d: p - lr * d, params, g), err_M, ok_M

    def per_step(params, batch):
        """The paper's rule: M = 1 sequence, an update at every step."""
        seq = jax.tree.map(lambda a: a[0], batch)
        new, z_TxK = online.sequence_update(online_opts, params, seq, lr, obj)
        _, err_M, ok_M = objective.per_sequence(z_TxK[None], batch, **obj)
        return new, err_M, ok_M

    update = sgd if online_opts is None else per_step

    def trial_chunk(params, st, batches):
        def body(carry, batch):
            params, st = carry
            new, err_M, ok_M = update(params, batch)
            finite = jnp.all(jnp.stack(
                [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(new)]))
            step = st["active"] & finite
            params = jax.tree.map(lambda p, q: jnp.where(step, q, p), params, new)
            st = dict(st, seen=st["seen"] + M * st["active"].astype(jnp.int32),
                      diverged=st["diverged"] | (st["active"] & ~finite))
            if recent:
                i = st["updates"] % W
                wrong_W = st["wrong_W"].at[i].set(jnp.sum(~ok_M))
                err_W = st["err_W"].at[i].set(jnp.mean(err_M))
                filled = jnp.minimum(st["updates"] + 1, W)
                good = ((filled == W) & (jnp.sum(wrong_W) <= crit.max_wrong)
                        & (jnp.mean(err_W) <= crit.max_mse))
                solved = step & good
                st = dict(st, wrong_W=jnp.where(st["active"], wrong_W, st["wrong_W"]),
                          err_W=jnp.where(st["active"], err_W, st["err_W"]),
                          updates=st["updates"] + st["active"].astype(jnp.int32),
                          success_at=jnp.where(solved, st["seen"], st["success_at"]))
                st["active"] = step & ~solved
            else:
                st["active"] = step
            return (params, st), jnp.mean(err_M)

        (params, st), err_C = jax.lax.scan(body, (params, st), batches)
        return params, st, jnp.mean(err_C)

    return jax.jit(jax.vmap(trial_chunk), donate_argnums=(0, 1))


def _make_eval_fn(graphdef, obj: dict):
    def trial_eval(params, batch):
        z_NxTxK = nnx.merge(graphdef, params)(batch["x"])
        _, err_N, ok_N = objective.per_sequence(z_NxTxK, batch, **obj)
        return ok_N, err_N

    return jax.jit(jax.vmap(trial_eval))


def _evaluate(eval_fn, params, seqs: Sequence[Sequences]) -> np.ndarray:
    """ok [R, N] of each trial's net on its own sequences, in blocks."""
    T = max(s.x.shape[1] for s in seqs)
    N = len(seqs[0])
    oks = []
    for lo in range(0, N, EVAL_BLOCK):
        index = np.arange(lo, min(lo + EVAL_BLOCK, N))
        batch = _stack([objective.as_batch(s.take(index).pad_to(T)) for s in seqs])
        ok_RxN, _ = eval_fn(params, batch)
        oks.append(np.asarray(ok_RxN))
    return np.concatenate(oks, 1)


def run_trials(config: ml_collections.ConfigDict, model: str,
               trials: Sequence[int] = (0,),
               log: Callable[[str], None] | None = print) -> RunResult:
    """Train `trials` (their indices seed them) of `model` on config's task."""
    check_config(config)
    t0 = time.time()
    prob = problem_lib.build(config)
    make = nets.factory(config, model, prob.num_inputs, prob.num_outputs)
    lr = float(config[model].learning_rate)
    crit, tr = config.criterion, config.train
    obj = dict(activation=config.output.activation, loss=config.output.loss,
               rule=crit.rule, tol=float(crit.tol))
    if crit.rule == "possible_next" and prob.name != "reber":
        raise ConfigError("config.criterion.rule='possible_next' is for the Reber task only")
    R, C, M = len(trials), tr.chunk, tr.batch_size

    key = jax.random.key(config.seed)
    nets_R = [make(nnx.Rngs(params=jax.random.fold_in(key, t))) for t in trials]
    graphdef, _ = nnx.split(nets_R[0])
    weights = num_weights(nets_R[0])
    params = jax.device_put(_stack([nnx.state(n, nnx.Param) for n in nets_R]))
    W = max(crit.window // M, 1)
    st = {"active": np.ones(R, bool), "diverged": np.zeros(R, bool),
          "seen": np.zeros(R, np.int32), "success_at": np.full(R, -1, np.int32),
          "updates": np.zeros(R, np.int32), "wrong_W": np.zeros((R, W), np.int32),
          "err_W": np.zeros((R, W), np.float32)}
    st = jax.device_put(st)

    online_opts = None
    if model == "lstm1997" and config.lstm1997.learning_rule == "step":
        online_opts = nets_R[0].opts
        if M != 1 or not online_opts.truncate:
            raise ConfigError("config.lstm1997.learning_rule='step' (the paper's rule) needs "
                              "train.batch_size=1 and lstm1997.truncate=True")
    elif model == "lstm1997" and config.lstm1997.learning_rule != "sequence":
        raise ConfigError(f"config.lstm1997.learning_rule={config.lstm1997.learning_rule!r}; use "
                          "'sequence' or 'step'")
    chunk_fn = _make_chunk_fn(graphdef, lr, obj, crit, M, online_opts)
    eval_fn = _make_eval_fn(graphdef, obj)
    streams = [prob.stream(prob.trial_rng(config.seed, t, 0)) for t in trials]
    fixed = None
    if crit.kind == "fixed":
        if prob.fixed is None:
            raise ConfigError(f"config.criterion.kind='fixed' but task {prob.name!r} has "
                              "no fixed sets; use 'recent'")
        fixed = [prob.fixed(prob.trial_rng(config.seed, t, 1)) for t in trials]

    num_chunks = math.ceil(tr.max_sequences / (C * M))
    T = None
    last_log = time.time()
    for chunk in range(num_chunks):
        seqs = [stream(C * M) for stream in streams]
        T = T or max(s.x.shape[1] for s in seqs)
        params, st, err = chunk_fn(params, st, _chunk_arrays(seqs, C, M, T))
        if fixed is not None:
            solved_R = _evaluate(eval_fn, params, fixed).all(1) & np.asarray(st["active"])
            st = dict(st, active=st["active"] & ~solved_R,
                      success_at=jnp.where(solved_R, st["seen"], st["success_at"]))
        active = np.asarray(st["active"])
        if log and (time.time() - last_log > 30 or not active.any()
                    or chunk == num_chunks - 1):
            last_log = time.time()
            log(f"{prob.name}/{model}: {(chunk + 1) * C * M} sequences, "
                f"{int((np.asarray(st['success_at']) >= 0).sum())}/{R} solved, "
                f"train error {float(np.mean(np.asarray(err)[active])) if active.any() else 0:.4f}"
                f", {time.time() - t0:.0f} s")
        if not active.any():
            break

    # The verdict on data the trial never trained on (fixed sets: the sets).
    if fixed is not None:
        test = fixed
    else:
        test = [prob.test(prob.trial_rng(config.seed, t, 2), crit.num_test) for t in trials]
    wrong_R = (~_evaluate(eval_fn, params, test)).sum(1)
    success_at = np.asarray(st["success_at"])
    seen = np.asarray(st["seen"])
    diverged = np.asarray(st["diverged"])
    results = []
    for r, t in enumerate(trials):
        ok = 0 <= success_at[r] <= tr.max_sequences
        results.append(TrialResult(
            trial=int(t), success=bool(ok),
            sequences=int(success_at[r] if ok else seen[r]), diverged=bool(diverged[r]),
            test_wrong=int(wrong_R[r]), test_total=len(test[r])))
    return RunResult(task=prob.name, model=model, net=nets.describe(config, model),
                     weights=weights, learning_rate=lr, cap=int(tr.max_sequences),
                     seconds=time.time() - t0, trials=results)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> RunResult:
    """One run of a task config: `config.train.trials` trials (default 1) of
    `config.model`; prints whether each succeeded and after how many training
    sequences, and leaves the result in <workdir>/result.json."""
    result = run_trials(config, config.model, range(config.train.trials))
    for t in result.trials:
        verdict = (f"success after {t.sequences:,} sequences" if t.success else
                   f"failed ({'diverged' if t.diverged else 'cap'}) after "
                   f"{t.sequences:,} sequences")
        print(f"{result.task} {result.net} ({result.weights} weights), trial {t.trial}: "
              f"{verdict}; {t.test_wrong}/{t.test_total} test sequences wrong")
    print(f"{len(result.successes)}/{len(result.trials)} trials succeeded in "
          f"{result.seconds:.1f} s")
    out = pathlib.Path(workdir)
    out.mkdir(parents=True, exist_ok=True)
    record = dict(result.to_json(), config=config.to_dict())
    (out / "result.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    return result
