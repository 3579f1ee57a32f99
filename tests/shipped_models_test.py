"""The models that ship in the package (seqgen/pretrained): each has its card
and check, the cards name the fonts the checkpoints were trained on, the
README and the docs pages quote the cards' numbers and the check holds the
models to them, the store stays small, the writer writes legibly for the
shipped recogniser, its styles prime it, and the commands use them with no
workdir. (The wheel test in packaging_test.py runs `seqgen.pretrained.check`
on each from an installed wheel.)"""

import decimal
import json
import pathlib
import re
import subprocess
import sys

import jax
import numpy as np
import pytest

from seqgen import pretrained
from seqgen.checkpoint import load_run_info
from seqgen.command.errors import UserError
from seqgen.data import strokes
from seqgen.handwriting import error_rates, styles
from seqgen.kinds import load_trained
from seqgen.pretrained import measure as shipped_check

REPO = pathlib.Path(__file__).resolve().parents[1]
MODELS = {"writer": "synthesis", "recogniser": "recognition", "shakespeare": "text",
          "judge": "recognition", "reader": "recognition"}
CARD_FIELDS = ("Data", "Config", "Training", "Machine", "Metrics", "Licence")


def test_every_model_is_shipped_with_card_check_and_the_store_is_small():
    assert sorted(pretrained.names()) == sorted(MODELS)
    for name, kind in MODELS.items():
        folder = pretrained.path(name)
        card = pretrained.card(name)
        assert all(f"## {field}" in card for field in CARD_FIELDS), name
        check = json.loads((folder / "check.json").read_text())
        assert check["metrics"] and pretrained.numbers(name)["check"], name
        assert load_trained(str(folder)).config.kind == kind
    total = sum(p.stat().st_size for p in pretrained.ROOT.rglob("*") if p.is_file())
    assert total < 40e6, f"{total / 1e6:.1f} MB"


# How the cards' prose names each font id of the checkpoints' meta.
FONT_NAMES = {"hershey_script": "script", "hershey_script_complex": "script complex",
              "ems_allure": "Allure", "ems_elfin": "Elfin", "ems_nixish": "Nixish",
              "ems_nixish_italic": "Nixish Italic", "ems_tech": "Tech"}


@pytest.mark.parametrize("name", ["writer", "recogniser"])
def test_the_cards_name_the_fonts_the_checkpoints_trained_on(name):
    """The meta the training run wrote records its fonts; the card's JSON
    block and its Data section's font list must name exactly those."""
    _, meta, _ = load_run_info(str(pretrained.path(name)), None)
    trained_on = meta["info"]["fonts"]
    assert pretrained.numbers(name)["fonts"] == trained_on
    data = " ".join(pretrained.card(name).split("## Data")[1].split("## ")[0].split())
    count, listed = re.search(r"over (\w+) single-line fonts \(([^:]*):", data).groups()
    assert count == {7: "seven"}.get(len(trained_on), str(len(trained_on)))
    listed = re.sub(r"Hershey |EMS | from the Hershey-Fonts package", "", listed)
    named = {part.strip() for part in re.split(r";|,| and ", listed) if part.strip()}
    assert named == {FONT_NAMES[f] for f in trained_on}, data


def _quoted_equals(quoted: str, value: float) -> bool:
    """A quote equals a card number rounded to the quote's digits."""
    places = -decimal.Decimal(quoted).as_tuple().exponent
    return float(quoted) == round(value, places)


# Every number the README and the docs pages quote from a card, by the file
# that quotes it: where (a regex whose groups are the numbers) and which card
# numbers, in order.
DOC_QUOTES = {
    "README.md": [
        (r"\| ([\d.]+) valid / ([\d.]+) test BPC \(the shipped `shakespeare` model\)",
         "shakespeare", ["valid_bpc", "test_bpc"]),
        (r"\| ([\d.]+)% CER / ([\d.]+)% WER \(([\d.]+)% / ([\d.]+)% by the recogniser", "writer",
         [("judge_unprimed_cer_pct", "bias 1"), ("judge_unprimed_wer_pct", "bias 1"),
          ("unprimed_cer_pct", "bias 1"), ("unprimed_wer_pct", "bias 1")]),
        (r"judge reads clean lines of the writer hands at ([\d.]+)% CER", "judge",
         ["writer_hands_cer_pct"]),
        (r"\| ([\d.]+)% valid / ([\d.]+)% test CER \|", "recogniser",
         ["valid_cer_pct", "test_cer_pct"]),
    ],
    "docs/writer.md": [
        (r"the shipped judge \| ([\d.]+)% / ([\d.]+)% \| ([\d.]+)% \| ([\d.]+)% \|", "judge",
         ["valid_cer_pct", "test_cer_pct", "writer_hands_cer_pct", "reserved_hands_cer_pct"]),
        (r"the shipped reader \| ([\d.]+)% / ([\d.]+)% \| - \| ([\d.]+)% \|", "reader",
         ["valid_cer_pct", "test_cer_pct", "reserved_hands_cer_pct"]),
        (r"\| unprimed \| ([\d.]+)% / ([\d.]+)% / 100% \| "
         r"\*\*([\d.]+)% / ([\d.]+)% / 100%\*\* \|\n", "writer",
         [("judge_unprimed_cer_pct", "bias 0.75"), ("judge_unprimed_wer_pct", "bias 0.75"),
          ("judge_unprimed_cer_pct", "bias 1"), ("judge_unprimed_wer_pct", "bias 1")]),
        (r"writers it never saw at ([\d.]+)% \(validation\) and ([\d.]+)% \(test\) CER",
         "recogniser", ["valid_cer_pct", "test_cer_pct"]),
        (r"`configs/recognition.py:writers=300`, 4,000 steps .*? \| ([\d.]+)% / ([\d.]+)% \| "
         r"([\d.]+)% / ([\d.]+)% \|", "recogniser",
         ["valid_cer_pct", "valid_wer_pct", "test_cer_pct", "test_wer_pct"]),
        (r"\| mean of the ten \| ([\d.]+)% / ([\d.]+)% \|", "writer",
         ["primed_cer_pct", "primed_wer_pct"]),
    ],
    "docs/models.md": [
        (r"\| `judge` \|.*\| CER ([\d.]+)% on the writer hands and ([\d.]+)% on the reserved",
         "judge", ["writer_hands_cer_pct", "reserved_hands_cer_pct"]),
        (r"\| `reader` \|.*\| CER ([\d.]+)% on the reserved hands", "reader",
         ["reserved_hands_cer_pct"]),
        (r"\| `recogniser` \|.*\| CER ([\d.]+)% valid / ([\d.]+)% test", "recogniser",
         ["valid_cer_pct", "test_cer_pct"]),
        (r"\| `shakespeare` \|.*\| ([\d.]+) valid / ([\d.]+) test BPC", "shakespeare",
         ["valid_bpc", "test_bpc"]),
        (r"\| `writer` \|.*\| CER ([\d.]+)% at bias 1", "writer",
         [("unprimed_cer_pct", "bias 1")]),
    ],
    "docs/usage.md": [
        (r"\| `configs/writer.py` \|.*CER ([\d.]+)% read back", "writer",
         [("unprimed_cer_pct", "bias 1")]),
    ],
}
# The page that holds the shipped writer's legibility table.
LEGIBILITY_PAGE = "docs/writer.md"


# The same for the cards' own prose and tables, which state the numbers of
# their JSON blocks for people.
CARD_QUOTES = [
    (r"read at CER ([\d.]+)% / WER ([\d.]+)% at bias 0.75 and \*\*([\d.]+)% / ([\d.]+)% at "
     r"bias 1\*\*", "writer",
     [("judge_unprimed_cer_pct", "bias 0.75"), ("judge_unprimed_wer_pct", "bias 0.75"),
      ("judge_unprimed_cer_pct", "bias 1"), ("judge_unprimed_wer_pct", "bias 1")]),
    (r"\| validation \(20 unseen writers\) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+) \|",
     "recogniser", ["valid_cer_pct", "valid_wer_pct", "valid_nats_per_char"]),
    (r"\| test \(20 other unseen writers\) \| ([\d.]+)% \| ([\d.]+)% \| ([\d.]+) \|",
     "recogniser", ["test_cer_pct", "test_wer_pct", "test_nats_per_char"]),
    (r"\| validation \| ([\d.]+) \| ([\d.]+)% \|", "shakespeare", ["valid_bpc", "valid_error_pct"]),
    (r"\| test \| ([\d.]+) \| ([\d.]+)% \|", "shakespeare", ["test_bpc", "test_error_pct"]),
    (r"Validation (-[\d.]+) nats per point \(normalised offsets\), test (-[\d.]+)", "writer",
     ["valid_nats_per_point", "test_nats_per_point"]),
    (r"saves ([\d.]+) nats per point", "writer", ["text_gain"]),
    (r"mean ([\d.]+)% \(WER ([\d.]+)%\)", "writer", ["primed_cer_pct", "primed_wer_pct"]),
]


# The judge's and the reader's tables: their own splits and their calibration.
CARD_QUOTES += [
    (rf"\| {row} \| ([\d.]+)% \| ([\d.]+)% \|", name, [f"{key}_cer_pct", f"{key}_wer_pct"])
    for name, row, key in (
        ("judge", r"validation \(20 unseen writers of the judge hands\)", "valid"),
        ("judge", r"test \(20 other unseen writers\)", "test"),
        ("judge", r"writer hands it never saw \(200 lines, calibration\)", "writer_hands"),
        ("judge", r"reserved hands \(200 lines, calibration\)", "reserved_hands"),
        ("reader", r"validation \(20 unseen writers of its hands\)", "valid"),
        ("reader", r"test \(20 other unseen writers\)", "test"),
        ("reader", r"reserved hands, never trained on \(200 lines\)", "reserved_hands"))]


def test_the_judge_and_the_reader_name_the_hands_they_trained_on():
    from seqgen.data import hand_sets
    sets = hand_sets.sets()
    for name, hands in (("judge", sets.judge), ("reader", sets.writer + sets.judge)):
        _, meta, _ = load_run_info(str(pretrained.path(name)), None)
        assert pretrained.numbers(name)["hands"] == meta["info"]["fonts"] == list(hands)
        assert not set(hands) & set(sets.reserved)


def _check_quotes(text: str, where: str, quotes) -> None:
    flat = " ".join(text.split())  # quotes may wrap across lines
    for pattern, name, keys in quotes:
        found = re.search(pattern, text) or re.search(pattern, flat)
        assert found, f"{where} no longer quotes {name}'s {keys} as /{pattern}/"
        card = pretrained.numbers(name)
        for quoted, key in zip(found.groups(), keys, strict=True):
            value = card[key[0]][key[1]] if isinstance(key, tuple) else card[key]
            assert _quoted_equals(quoted, value), (where, name, key, quoted, value)


def _check_legibility_table(text: str) -> None:
    """The unprimed legibility row, cell by cell: CER / WER per bias."""
    header, row = re.search(r"(\| 200 test texts, step 4,000 \|.*)\n.*\n(\| unprimed \|.*)",
                            text).groups()
    biases = [c.strip() for c in header.strip("|").split("|")[1:]]
    cells = [c.strip("* ") for c in row.strip("|").split("|")[1:]]
    card = pretrained.numbers("writer")
    assert len(cells) == len(biases) == len(card["unprimed_cer_pct"])
    for bias, cell in zip(biases, cells, strict=True):
        cer, wer, _ = (c.strip().rstrip("%") for c in cell.split("/"))
        assert _quoted_equals(cer, card["unprimed_cer_pct"][bias]), (bias, cell)
        assert _quoted_equals(wer, card["unprimed_wer_pct"][bias]), (bias, cell)


def test_the_readme_and_the_docs_quote_the_cards_numbers():
    for page, quotes in DOC_QUOTES.items():
        _check_quotes((REPO / page).read_text(encoding="utf-8"), page, quotes)
    _check_legibility_table((REPO / LEGIBILITY_PAGE).read_text(encoding="utf-8"))


def test_each_card_states_the_numbers_of_its_json_block():
    for name in MODELS:
        _check_quotes(pretrained.card(name), f"{name}'s card",
                      [q for q in CARD_QUOTES if q[1] == name])
    _check_legibility_table(pretrained.card("writer"))


def test_the_writers_card_states_its_judges_calibration_as_the_judges_card_does():
    _check_quotes(pretrained.card("writer"), "writer's card", [
        (r"writer hands at ([\d.]+)% CER and of the reserved hands at ([\d.]+)%", "judge",
         ["writer_hands_cer_pct", "reserved_hands_cer_pct"])])


def test_the_cards_state_the_check_figures_of_check_json():
    """The small fixed figures the check compares with are check.json's; the
    card states them under "check", at the digits it gives."""
    for name in MODELS:
        recorded = json.loads((pretrained.path(name) / "check.json").read_text())
        stated = pretrained.numbers(name)["check"]
        figures = {**recorded["metrics"]}
        if "readback" in recorded:
            figures["readback_cer_pct"] = recorded["readback"]["cer_pct"]
            figures["readback_tolerance_points"] = recorded["readback"]["tolerance_points"]
        for key, value in stated.items():
            assert key in figures, (name, key)
            digits = decimal.Decimal(str(value)).as_tuple()
            assert abs(figures[key] - value) <= 0.5 * 10.0 ** digits.exponent, (name, key)
    assert "readback" in json.loads((pretrained.path("writer") / "check.json").read_text())


def test_the_check_holds_the_text_model_to_its_cards_headline(monkeypatch):
    lines = shipped_check.compare("shakespeare")
    assert all(line.endswith(" ok") for line in lines), lines
    assert any(line.startswith("shakespeare: valid_bpc = ") and "(card 2.4" in line
               for line in lines), lines
    card = pretrained.numbers("shakespeare")
    off = {**card, "valid_bpc": card["valid_bpc"] * 1.02}  # a card 2% off the model
    monkeypatch.setattr(pretrained, "numbers", lambda name: off)
    monkeypatch.setattr(shipped_check, "_fixed_batches", lambda kind, model: {})
    (line,) = [x for x in shipped_check.compare("shakespeare") if "valid_bpc" in x]
    assert not line.endswith(" ok") and "card says" in line, line


def test_a_card_without_its_numbers_block_is_named_with_the_fix(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    (folder / "checkpoints").mkdir(parents=True)
    monkeypatch.setattr(pretrained, "ROOT", tmp_path)
    with pytest.raises(UserError, match=r"MODEL_CARD.md: missing; write"):
        pretrained.numbers("mine")
    (folder / "MODEL_CARD.md").write_text("# mine\n\nno numbers\n")
    with pytest.raises(UserError, match=r"MODEL_CARD.md: has 0 ```json blocks; give it exactly"):
        pretrained.numbers("mine")
    (folder / "MODEL_CARD.md").write_text("```json\n{\"a\": 1,}\n```\n")
    with pytest.raises(UserError, match=r"MODEL_CARD.md: its ```json block is not JSON"):
        pretrained.numbers("mine")


@pytest.fixture(scope="module")
def shipped():
    writer = load_trained(str(pretrained.path("writer")))
    reader = load_trained(str(pretrained.path("recogniser")))
    return writer, reader


def test_the_recogniser_reads_the_shipped_styles_lines(shipped):
    """The styles are validation writers' lines the recogniser never trained
    on; it reads them about as well as its card says it reads the whole
    validation split (the bound leaves 6 points for the noise of 20 lines)."""
    _, reader = shipped
    found = styles.shipped(pretrained.path("writer"))
    assert len(found) >= 10
    read = reader.kind.read(reader.model, [s.line_Tx3 for s in found])
    errors = error_rates.total([(s.text, r) for s, r in zip(found, read, strict=True)])
    bound = pretrained.numbers("recogniser")["valid_cer_pct"] / 100 + 0.06
    assert errors.cer < bound, list(zip([s.text for s in found], read, strict=True))


def test_the_writer_writes_what_the_recogniser_reads(shipped):
    """12 lines at bias 2, against the card's CER at bias 2 over 200 test
    texts; the bound leaves 16 points for the noise of 12 lines (an
    untrained or broken writer reads back at 80-100%)."""
    writer, reader = shipped
    texts = ["the quick brown fox", "jumps over the lazy dog", "seqgen writes by hand",
             "to be or not to be", "that is the question", "a horse, a horse",
             "my kingdom for a horse", "all the world is a stage", "we few, we happy few",
             "now is the winter of our", "brevity is the soul of wit", "what light through"]
    out = writer.kind.write(writer.model, texts, 2.0, jax.random.key(0))
    assert bool(np.all(out["stopped"]))
    read = reader.kind.read(reader.model, out["lines"])
    errors = error_rates.total(list(zip(texts, read, strict=True)))
    bound = pretrained.numbers("writer")["unprimed_cer_pct"]["bias 2"] / 100 + 0.16
    assert errors.cer < bound, list(zip(texts, read, strict=True))


def test_a_style_saved_as_screen_json_primes_as_well_as_given_internally(shipped, tmp_path):
    """Graves §5.3 from a user's file: validation writers' lines, saved as a
    browser would record them (absolute points, y down, 2.5x the size,
    timestamps), loaded and fitted to the model's scale (seqgen/handwriting/styles.py),
    prime the writer as legibly as the same lines given internally: the
    read-back CER within 6 points (sampling noise on 36 lines is ~2-3)."""
    writer, reader = shipped
    found = styles.shipped(pretrained.path("writer"))
    scale = styles.Scale.of([s.line_Tx3 for s in found], [s.text for s in found])
    texts = ["whether tis nobler in the mind", "to take arms against a sea",
             "and by opposing end them"] * 4
    cer = {}
    for route in ("internal", "json"):
        pairs = []
        for k, style in enumerate(found[:3]):
            line = style.line_Tx3
            if route == "json":
                points = strokes.to_absolute(line) * np.array([2.5, -2.5]) + [30.0, 400.0]
                path = tmp_path / f"style{k}.json"
                path.write_text(json.dumps(
                    [[[float(x), float(y), 8.0 * i] for i, (x, y) in enumerate(st)]
                     for st in strokes.split_strokes(points, line[:, 2])]))
                loaded, text = styles.from_file(str(path), style.text)
                line = styles.fit(loaded, text, scale, str(path))
            out = writer.kind.write(writer.model, texts, 1.0, jax.random.key(k),
                                    (line, style.text))
            pairs += list(zip(texts, reader.kind.read(reader.model, out["lines"]),
                              strict=True))
        cer[route] = error_rates.total(pairs).cer
    assert abs(cer["json"] - cer["internal"]) <= 0.06, cer


def run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_commands_use_the_shipped_models_with_no_workdir(tmp_path):
    out = tmp_path / "page.svg"
    proc = run("seqgen.write", "--text=hello world", f"--out={out}", "--style=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "stop rule fired on 1 of 1" in proc.stdout
    proc = run("seqgen.read", f"--strokes={out.with_suffix('.npz')}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "CER" in proc.stdout
    proc = run("seqgen.sample", "--prime=ROMEO:", "--length=40")
    assert proc.returncode == 0 and proc.stdout.startswith("ROMEO:"), proc.stderr[-3000:]
