"""A damaged newest checkpoint (truncated or missing files, as a full disk
or a killed copy leaves them) is moved aside with a warning and the run
resumes from the one before, ending where an undamaged run ends."""

import pathlib

import jax
import numpy as np
import pytest
from flax import nnx

from seqgen import checkpoint, kinds, train
from seqgen.config.text import base, smoke


def tiny():
    c = smoke(base())
    c.num_steps, c.checkpoint_every, c.keep_checkpoints = 8, 4, 3
    c.eval_every, c.log_every, c.eval_test = 8, 4, False
    c.model.hidden = 16
    return c


def params_at(workdir, step):
    config, meta, _ = checkpoint.load_run_info(str(workdir), step)
    model = kinds.make(config, meta).build_model(nnx.Rngs(5))
    checkpoint.restore_params(str(workdir), step, model)
    return [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.Param))]


def truncate_arrays(folder: pathlib.Path) -> None:
    for f in folder.glob("params/**/d/*"):
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def delete_train_metadata(folder: pathlib.Path) -> None:
    (folder / "train" / "_METADATA").unlink()


def delete_meta(folder: pathlib.Path) -> None:
    (folder / "meta" / "metadata").unlink()


@pytest.mark.parametrize("damage", [truncate_arrays, delete_train_metadata, delete_meta])
def test_damaged_newest_checkpoint_falls_back_to_the_previous(tmp_path, damage, caplog):
    c = tiny()
    train.train_and_evaluate(c, str(tmp_path))
    want = params_at(tmp_path, 8)
    folder = tmp_path / "checkpoints" / "8"
    damage(folder)

    summary = train.train_and_evaluate(c, str(tmp_path))  # resumes from step 4
    assert summary["step"] == 8
    assert "checkpoint" in caplog.text and "damaged" in caplog.text
    aside = tmp_path / "checkpoints" / "damaged-8"
    assert aside.is_dir()  # kept for inspection, not deleted
    for a, b in zip(want, params_at(tmp_path, 8), strict=True):
        np.testing.assert_array_equal(a, b)  # steps 5..8 redone bit for bit


def test_full_disk_during_a_save_is_one_line_and_keeps_the_previous(tmp_path, monkeypatch):
    import errno

    import orbax.checkpoint as ocp

    c = tiny()
    real = ocp.CheckpointManager.save

    def full_disk(self, step, *a, **k):
        if step == 8:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, step, *a, **k)

    monkeypatch.setattr(ocp.CheckpointManager, "save", full_disk)
    with pytest.raises(checkpoint.CheckpointWriteError) as e:
        train.train_and_evaluate(c, str(tmp_path))
    message = str(e.value)
    assert "\n" not in message and "No space left on device" in message
    assert "checkpoint 8" in message and "resumes from step 4" in message
    assert checkpoint.Checkpointer(str(tmp_path), keep=3, every=1).latest_step() == 4
    assert all(np.isfinite(x).all() for x in params_at(tmp_path, 4))
    monkeypatch.undo()
    assert train.train_and_evaluate(c, str(tmp_path))["step"] == 8  # disk freed: resumes
