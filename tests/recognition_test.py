"""The recogniser: CTC against a brute-force sum over alignments, best-path
decoding, the bidirectional layer against a forward layer on reversed
input (and padding that cannot leak), error rates of known pairs, and a
tiny recognition run read through `seqgen.read`'s paths."""

import itertools
import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen import train
from seqgen.config import handwriting as handwriting_config
from seqgen.handwriting import error_rates
from seqgen.kinds import recognition
from seqgen.models import lstm
from seqgen.models.recogniser import BiLSTMLayer, reverse_padded

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collapse(path):
    out = []
    for k, c in enumerate(path):
        if c != 0 and (k == 0 or c != path[k - 1]):
            out.append(c)
    return tuple(out)


def _brute_force_nll(logp_TxK: np.ndarray, label: tuple[int, ...]) -> float:
    """-log of the summed probability of every path that collapses to `label`."""
    T, K = logp_TxK.shape
    total = 0.0
    for path in itertools.product(range(K), repeat=T):
        if _collapse(path) == label:
            total += np.exp(sum(logp_TxK[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_ctc_loss_equals_the_sum_over_all_alignments():
    rng = np.random.default_rng(0)
    K, T = 4, 6
    # Lines of different lengths, texts with a repeat, and a batch-filler row.
    lengths, labels = [6, 5, 4, 0], [(1, 2), (3, 3), (2,), ()]
    z = rng.normal(size=(4, T, K)).astype(np.float32)
    logp = np.asarray(jax.nn.log_softmax(z, -1))
    mask = (np.arange(T)[None] < np.array(lengths)[:, None]).astype(np.float32)
    lab = np.zeros((4, 2), np.int32)
    lab_mask = np.zeros((4, 2), np.float32)
    for b, lbl in enumerate(labels):
        lab[b, :len(lbl)] = lbl
        lab_mask[b, :len(lbl)] = 1
    got = np.asarray(recognition.ctc_loss(jnp.asarray(logp), jnp.asarray(mask), jnp.asarray(lab),
                              jnp.asarray(lab_mask)))
    for b in range(3):
        want = _brute_force_nll(logp[b, :lengths[b]], labels[b])
        np.testing.assert_allclose(got[b], want, rtol=1e-4)
    assert got[3] == 0.0


def test_best_path_merges_repeats_and_drops_blanks():
    path = [1, 1, 0, 1, 2, 2, 0, 0, 3, 9]  # the last point is padding
    logp = np.full((1, 10, 10), -5.0)
    logp[0, np.arange(10), path] = 0.0
    mask = np.ones((1, 10))
    mask[0, -1] = 0
    assert recognition.ctc_best_path(logp, mask)[0].tolist() == [1, 1, 2, 3]
    assert recognition.ctc_best_path(logp, np.zeros((1, 10)))[0].tolist() == []


def test_error_rates_of_known_pairs():
    e = error_rates.counts("kitten", "sitting")
    assert (e.char_edits, e.chars) == (3, 6)
    e = error_rates.total([("the cat sat", "the bat sat down"), ("a b", "a b")])
    # chars: 'c'->'b' plus ' down' inserted = 6 of 14; words: 1 sub + 1 ins of 5.
    assert (e.char_edits, e.chars, e.word_edits, e.words) == (6, 14, 2, 5)
    assert e.cer == pytest.approx(6 / 14) and e.wer == pytest.approx(2 / 5)


def test_reverse_padded_flips_within_each_length():
    x = jnp.arange(12.0).reshape(2, 6, 1)
    out = np.asarray(reverse_padded(x, jnp.array([4, 6])))[..., 0]
    assert out[0].tolist() == [3, 2, 1, 0, 4, 5] and out[1].tolist() == [11, 10, 9, 8, 7, 6]
    np.testing.assert_array_equal(reverse_padded(jnp.asarray(out[..., None]),
                                                 jnp.array([4, 6])), x)


def test_bidirectional_layer_is_a_forward_layer_both_ways_and_ignores_padding():
    rng = np.random.default_rng(1)
    layer = BiLSTMLayer(3, 5, lstm.LSTMOptions(), rngs=nnx.Rngs(0))
    B, T, lengths = 3, 9, np.array([9, 6, 2])
    x = rng.normal(size=(B, T, 3)).astype(np.float32)
    out = np.asarray(layer(jnp.asarray(x), jnp.asarray(lengths)))
    for b, n in enumerate(lengths):
        one = jnp.asarray(x[b:b + 1, :n])
        fwd, _ = layer.forward(one, layer.forward.init_carry(1))
        bwd, _ = layer.backward(one[:, ::-1], layer.backward.init_carry(1))
        np.testing.assert_allclose(out[b, :n, :5], np.asarray(fwd[0]), atol=1e-5)
        np.testing.assert_allclose(out[b, :n, 5:], np.asarray(bwd[0, ::-1]), atol=1e-5)
    # Garbage in the padding changes nothing in the lines' own outputs.
    noisy = x.copy()
    for b, n in enumerate(lengths):
        noisy[b, n:] = 1e3 * rng.normal(size=(T - n, 3))
    out2 = np.asarray(layer(jnp.asarray(noisy), jnp.asarray(lengths)))
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(out2[b, :n], out[b, :n])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("recognition")
    c = handwriting_config.smoke(handwriting_config.recognition_base())
    c.num_steps = 4
    c.eval_every = 4
    summary = train.train_and_evaluate(c, str(path))
    return path, summary


def _edit_distance(a, b) -> int:
    """Levenshtein distance by the textbook dynamic programme (not rapidfuzz)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_edit_distance_of_the_tests_is_levenshtein():
    assert _edit_distance("kitten", "sitting") == 3 and _edit_distance("", "abc") == 3
    assert _edit_distance("to be".split(), "to bee".split()) == 1


def test_a_recognition_run_reports_error_rates(run):
    path, summary = run
    text = (path / "samples" / "read_step_0000004.txt").read_text()
    pairs = [(block.split("\n")[0].removeprefix("truth: "),
              block.split("\n")[1].removeprefix("read:  ")) for block in text.split("\n\n")[:-1]]
    assert len(pairs) == 16  # every validation line of the smoke data
    # The reported rates are the corpus rates of the (truth, read) pairs it
    # wrote: edits summed over lines over reference characters (words).
    cer = sum(_edit_distance(t, r) for t, r in pairs) / sum(len(t) for t, _ in pairs)
    wer = sum(_edit_distance(t.split(), r.split()) for t, r in pairs) / sum(
        len(t.split()) for t, _ in pairs)
    assert summary["valid"]["cer"] == pytest.approx(cer)
    assert summary["valid"]["wer"] == pytest.approx(wer)
    # The smoke data's four fonts each get a CER of their own, and the
    # split's CER is their mean weighted by characters, so lies among them.
    for split in ("valid", "test"):
        fonts = {k: v for k, v in summary[split].items() if k.startswith("cer_")}
        assert set(fonts) == {"cer_hershey_script", "cer_ems_allure", "cer_ems_elfin",
                              "cer_ems_nixish_italic"}
        assert min(fonts.values()) <= summary[split]["cer"] <= max(fonts.values())
        assert summary[split]["nats_per_char"] > 0


def _read(path, *args):
    return subprocess.run([sys.executable, "-m", "seqgen.read", f"--workdir={path}", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def test_read_prints_a_text_per_line_and_refuses_bad_input(run, tmp_path):
    from seqgen.data import drawn
    from seqgen.handwriting import ink

    path, _ = run
    lines = [drawn.draw_line(t, "hershey_script", np.random.default_rng(i), 12.0)
             for i, t in enumerate(["to be", "or not"])]
    ink.save_npz(tmp_path / "page.npz", lines, ["to be", "or not"])
    proc = _read(path, f"--strokes={tmp_path / 'page.npz'}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.splitlines()
    assert out[0].startswith(f"{tmp_path / 'page.npz'}[0]\t") and len(out) == 3
    assert "CER" in out[2] and "(2 lines)" in out[2]
    (tmp_path / "bad.txt").write_text("x")
    proc = _read(path, f"--strokes={tmp_path / 'bad.txt'}")
    assert proc.returncode != 0 and "unknown ink format '.txt'" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 or "Traceback" not in proc.stderr


def test_synthesis_evaluation_and_legibility_read_the_writing_back(run, tmp_path, monkeypatch):
    from seqgen.kinds import synthesis

    rec_path, _ = run
    reads = []
    original_read = recognition.Kind.read

    def recorded_read(self, model, lines):
        reads.append(original_read(self, model, lines))
        return reads[-1]

    monkeypatch.setattr(recognition.Kind, "read", recorded_read)
    c = handwriting_config.smoke(handwriting_config.synthesis_base())
    c.num_steps = 2
    c.eval_every = 2
    c.eval_test = False
    c.eval.recogniser = str(rec_path)
    synth = tmp_path / "synthesis"
    summary = train.train_and_evaluate(c, str(synth))
    # The evaluation's written CER / WER are the corpus rates of the
    # validation texts it wrote against what the recogniser read of them.
    from seqgen.kinds import load_trained
    writer = load_trained(str(synth))[0]
    writer.load_data()
    asked = [t for t in writer.splits.valid.texts[:synthesis.ALIGN_LINES] if t.strip()]
    assert len(reads) == 1 and len(reads[0]) == len(asked) == 16
    pairs = list(zip(asked, reads[0], strict=True))
    assert summary["valid"]["written_cer"] == pytest.approx(
        sum(_edit_distance(a, r) for a, r in pairs) / sum(len(a) for a in asked))
    assert summary["valid"]["written_wer"] == pytest.approx(
        sum(_edit_distance(a.split(), r.split()) for a, r in pairs)
        / sum(len(a.split()) for a in asked))
    out = tmp_path / "leg"
    proc = subprocess.run(
        [sys.executable, "-m", "seqgen.legibility", f"--workdir={synth}",
         f"--recogniser={rec_path}", "--num=3", "--biases=0,1", "--styles=0", f"--out={out}",
         "--calibration_lines=4"],  # the default 200 a set: 400 lines drawn and read
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.with_suffix(".json").read_text())
    assert [(c["hands"], c["lines"]) for c in report["calibration"]] == [("writer", 4),
                                                                      ("reserved", 4)]
    assert report["texts"] == 3 and len(report["cells"]) == 4  # (unprimed, style 0) x 2
    assert {(c["style"], c["bias"]) for c in report["cells"]} == {
        ("unprimed", 0.0), ("unprimed", 1.0), ("style 0", 0.0), ("style 0", 1.0)}
    assert out.with_suffix(".png").exists() and "| unprimed |" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "seqgen.legibility", f"--workdir={rec_path}",
         f"--recogniser={rec_path}"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "it needs a synthesis run" in proc.stderr


class _FakeWriter:
    """Writes text i as a line whose every row holds i; its stop rule fires
    on even ids."""
    meta = {"dataset": "drawn"}

    def __init__(self, texts):
        self.ids, self.calls = {t: i for i, t in enumerate(texts)}, []

    def write(self, model, texts, bias, key, prime):
        self.calls.append(list(texts))
        return {"lines": [np.full((len(t) + 1, 3), self.ids[t], np.float32) for t in texts],
                "stopped": [self.ids[t] % 2 == 0 for t in texts]}


class _FakeReader:
    """Reads the line of text i as text (i + shift) mod n: shift 0 is a
    reader that is always right."""
    meta = {"dataset": "drawn"}

    def __init__(self, texts, shift):
        self.texts, self.shift = texts, shift

    def read(self, model, lines):
        return [self.texts[(int(line[0, 0]) + self.shift) % len(self.texts)] for line in lines]


@pytest.mark.parametrize("shift", [0, 1])
def test_legibility_scores_each_line_against_its_own_text(monkeypatch, shift):
    from seqgen.handwriting import legibility

    texts = ["to be", "or not to be", "that is", "the question", "whether tis",
             "nobler in", "the mind"]
    monkeypatch.setattr(legibility, "BATCH", 3)  # three sampling calls: 3 + 3 + 1 texts
    writer = _FakeWriter(texts)
    got = legibility.cell(writer, None, _FakeReader(texts, shift), None, texts, 1.0, None, 0)
    assert writer.calls == [texts[:3], texts[3:6], texts[6:]]
    read = [texts[(i + shift) % len(texts)] for i in range(len(texts))]
    per_line = [_edit_distance(t, r) / len(t) for t, r in zip(texts, read, strict=True)]
    cer = sum(_edit_distance(t, r) for t, r in zip(texts, read, strict=True)) / sum(
        len(t) for t in texts)
    wer = sum(_edit_distance(t.split(), r.split()) for t, r in zip(texts, read, strict=True)) \
        / sum(len(t.split()) for t in texts)
    assert got["cer"] == pytest.approx(cer) and got["wer"] == pytest.approx(wer)
    assert got["per_line_cer"] == pytest.approx(per_line)
    assert got["pairs"] == list(zip(texts, read, strict=True))
    assert got["stop_rate"] == pytest.approx(4 / 7)  # ids 0, 2, 4, 6
    if shift == 0:
        assert got["cer"] == 0 and got["wer"] == 0
    else:  # each line read as another text: most characters wrong
        assert got["cer"] > 0.5 and got["wer"] == 1


def test_legibility_verified_rewrites_what_the_verifier_rejects_and_the_judge_grades(
        monkeypatch):
    from seqgen.handwriting import legibility

    texts = ["to be", "or not to be", "that is", "the question"]
    monkeypatch.setattr(legibility, "BATCH", 4)

    class Flaky(_FakeWriter):  # the first version of every line reads as nothing
        def write(self, model, rows, bias, key, prime):
            out = super().write(model, rows, bias, key, prime)
            out["aligned"] = [True] * len(rows)
            if len(self.calls) == 1:
                out["lines"] = [np.full_like(x, -1) for x in out["lines"]]
            return out

    def verifier(lines):  # the product reader: nothing for the first versions
        return ["" if line[0, 0] < 0 else texts[int(line[0, 0])] for line in lines]

    class Judge:  # reads as the verifier does (a separate reader in real use)
        meta = {"dataset": "drawn"}

        def read(self, model, lines):
            return verifier(lines)

    writer = Flaky(texts)
    got = legibility.cell(writer, None, Judge(), None, texts, 1.0, None, 0,
                          verifier=verifier)
    # The page, then one batch of candidates padded to a full batch.
    assert writer.calls[0] == texts and len(writer.calls[1]) == legibility.BATCH
    assert got["cer"] == 0 and got["dropped_words"] == 0 and got["doubtful"] == 0
    plain = legibility.cell(Flaky(texts), None, Judge(), None, texts, 1.0, None, 0)
    assert plain["doubtful"] is None
    # Unverified, the judge reads the first versions: all of every text dropped.
    assert plain["dropped_words"] == sum(len(t.split()) for t in texts)
    assert plain["lines_with_dropped_words"] == len(texts)


def test_held_out_writers_leave_training_only():
    from seqgen.command.errors import ConfigError
    from seqgen.data import handwriting as hw_data
    from seqgen.data import strokes

    rng = np.random.default_rng(0)

    def part(writers, scale):
        lines = tuple(rng.normal(size=(20, 3)).astype(np.float32) * s for s in scale)
        return strokes.StrokeSet(lines, tuple("ab" for _ in writers),
                                 tuple(f"id{i}" for i in range(len(writers))), tuple(writers))

    splits = strokes.HandwritingSplits(
        train=part(["a", "b", "a", "b"], [1, 9, 1, 9]), valid=part(["a", "b"], [1, 9]),
        test=part(["b"], [9]), stats=strokes.OffsetStats(np.zeros(2), np.ones(2)),
        name="toy", info={})
    out = hw_data.hold_out_writers(splits, ["b"])
    assert out.train.writers == ("a", "a") and out.valid.writers == ("a", "b")
    assert out.test is splits.test and out.info["held_out_writers"] == ["b"]
    np.testing.assert_allclose(out.stats.std, strokes.compute_stats(out.train.lines).std)
    assert out.stats.std[0] < 2  # the wide writer b no longer sets the scale
    with pytest.raises(ConfigError, match="held_out_writers names \\['c'\\]"):
        hw_data.hold_out_writers(splits, ["c"])


def test_frames_stack_consecutive_points_and_count_partial_frames():
    from seqgen.models.recogniser import Recogniser

    model = Recogniser(alphabet_size=5, hidden=4, num_layers=1, points_per_frame=3,
                       rngs=nnx.Rngs(0))
    x = jnp.arange(2 * 7 * 3, dtype=jnp.float32).reshape(2, 7, 3)
    mask = jnp.array([[1] * 7, [1] * 4 + [0] * 3], jnp.float32)
    frames, fmask = model.frames(x, mask)
    assert frames.shape == (2, 3, 9)
    np.testing.assert_array_equal(frames[0, 1], np.arange(9, 18))  # points 3, 4, 5
    np.testing.assert_array_equal(frames[0, 2, 3:], 0)  # padding after point 6
    np.testing.assert_array_equal(fmask, [[1, 1, 1], [1, 1, 0]])
    logp, out_mask = model(x, mask)
    assert logp.shape == (2, 3, 5)
    np.testing.assert_allclose(np.exp(np.asarray(logp)).sum(-1), 1.0, rtol=1e-5)
