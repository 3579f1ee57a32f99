"""Config validation: one-line errors that name the field and the fix.

ml_collections already rejects unknown keys and wrong types in command-line
overrides (`--config.model.num_layerz=3`); this catches impossible values
and a resume whose model differs from the one in the checkpoint.
"""

from __future__ import annotations

import os
import pathlib

import ml_collections

from seqgen.command.errors import ConfigError

# (dotted field, lowest allowed value)
POSITIVE = (
    ("model.num_layers", 1), ("model.hidden", 1), ("model.embed_dim", 0),
    ("batch_size", 1), ("eval_batch_size", 1), ("seq_len", 1), ("num_steps", 1),
    ("log_every", 1), ("eval_every", 1), ("checkpoint_every", 1),
    ("keep_checkpoints", 1), ("sample.length", 1), ("sample.num_samples", 1),
    ("model.init_scale", 0), ("optim.learning_rate", 0), ("sample.temperature", 0),
    ("model.num_mixtures", 1), ("data.max_points", 2), ("data.bucket", 1),
    ("nonfinite_max_consecutive", 1),
)


def _get(config: ml_collections.ConfigDict, dotted: str):
    node = config
    for part in dotted.split("."):
        node = node[part]
    return node


def validate(config: ml_collections.ConfigDict) -> None:
    for field, lowest in POSITIVE:
        try:
            value = _get(config, field)
        except (KeyError, AttributeError):
            continue  # not every kind has every field
        if value < lowest:
            raise ConfigError(f"config.{field}={value} is impossible; it must be "
                             f">= {lowest}")
    if config.get("nonfinite_policy", "skip") not in ("skip", "halt"):
        raise ConfigError(f"config.nonfinite_policy={config.nonfinite_policy!r}; use "
                          "'skip' or 'halt'")
    _validate_regularise(config)
    _validate_texts(config)
    if config.model.matmul_dtype not in ("float32", "bfloat16"):
        raise ConfigError(f"config.model.matmul_dtype={config.model.matmul_dtype!r}; "
                         "use 'float32' or 'bfloat16'")


def _validate_regularise(config: ml_collections.ConfigDict) -> None:
    from seqgen import regularise  # jax; only when training

    r = config.get("regularise")
    if r is not None:
        if r.name not in regularise.NAMES:
            raise ConfigError(f"config.regularise.name={r.name!r} is unknown; use one of "
                              f"{regularise.NAMES}")
        if r.name == "weight_noise" and not r.weight_noise_std > 0:
            raise ConfigError(f"config.regularise.weight_noise_std={r.weight_noise_std} "
                              "must be > 0 (Graves: 0.075), or set regularise.name='none'")
        if r.name == "adaptive_noise" and not r.adaptive_init_std > 0:
            raise ConfigError(f"config.regularise.adaptive_init_std={r.adaptive_init_std} "
                              "must be > 0 (typical: 0.01)")
    init_from = config.get("init_from", "")
    if init_from and not (pathlib.Path(init_from).expanduser() / "checkpoints").is_dir():
        raise ConfigError(f"config.init_from={init_from!r} holds no checkpoints/; train "
                          "that run first or set --config.init_from='' to start afresh")


def _validate_texts(config: ml_collections.ConfigDict) -> None:
    """data.texts and its mixing fractions (drawn handwriting's mixed texts)."""
    data = config.get("data")
    if data is None or "texts" not in data:
        return
    from seqgen.data import drawn_mix  # numpy only; no corpus is read here

    error = drawn_mix.fractions_error(data.texts, data.get("prose_fraction", 0.3),
                                      data.get("numbers_fraction", 0.3))
    if error:
        raise ConfigError(f"config.data.{error}")


def ensure_writable(workdir: str) -> None:
    path = pathlib.Path(workdir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create workdir {workdir}: {e.strerror}; pass a "
                      "--workdir you can write to") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"workdir {workdir} is not writable; pass a --workdir you "
                      "can write to")


# Fields added after runs were saved, with the value that does what those
# runs did: a checkpoint whose config lacks the field resumes when it has it.
ADDED_FIELDS = {"data": {"texts": "shakespeare", "prose_fraction": 0.3,
                         "numbers_fraction": 0.3}}


def check_same_model(saved: dict, config: ml_collections.ConfigDict,
                     workdir: str, sections: tuple[str, ...] = ("model", "data")) -> None:
    """A resume must rebuild the model and data the checkpoint was made with
    (a warm start, only the model: sections=("model",))."""
    now = config.to_dict()
    missing = object()
    diffs = [f"{section}.{k}: {saved[section].get(k)!r} -> {v!r}"
             for section in sections for k, v in now[section].items()
             if saved.get(section, {}).get(k) != v
             and not (k not in saved.get(section, {})
                      and ADDED_FIELDS.get(section, {}).get(k, missing) == v)]
    for k in ("kind", "batch_size", "seq_len"):
        if saved.get(k) != now.get(k):
            diffs.append(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}")
    if diffs:
        raise ConfigError(
            f"{workdir} holds checkpoints of a different run ({'; '.join(diffs)}); "
            "use a new --workdir or the original config")
