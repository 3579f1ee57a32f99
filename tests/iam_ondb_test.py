"""IAM-OnDB loader on a hand-made fixture in the real layout, made in tmp_path.

The fixture's XML copies the real lineStrokes files (ISO-8859-1 prolog,
WhiteboardDescription, StrokeSet/Stroke/Point@x,@y,@time, y down) and its
ascii files the real OCR:/CSR: layout. Expected lines are derived here with
numpy from the points written, not with the loader's code.
"""
import shutil
import tarfile
from pathlib import Path

import ml_collections
import numpy as np
import pytest

from seqgen.data import iam_ondb, iam_ondb_files
from seqgen.data.strokes import StrokeDataError

HEADER = """<?xml version="1.0" encoding="ISO-8859-1"?>
<WhiteboardCaptureSession>
  <WhiteboardDescription>
    <SensorLocation corner="top_left"/>
    <DiagonallyOppositeCoords x="6512" y="1376"/>
    <VerticallyOppositeCoords x="966" y="1376"/>
    <HorizontallyOppositeCoords x="6512" y="787"/>
  </WhiteboardDescription>
  <StrokeSet>
"""
FOOTER = "  </StrokeSet>\n</WhiteboardCaptureSession>\n"
BOMB = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<WhiteboardCaptureSession><StrokeSet><Stroke><Point x="1" y="&lol2;" time="0"/>
</Stroke></StrokeSet></WhiteboardCaptureSession>
"""


def stroke_xml(strokes) -> str:
    """Strokes of (x, y) pairs (None = attribute missing) in the real format."""
    out, t = [], 769.05
    for stroke in strokes:
        out.append(f'    <Stroke colour="black" start_time="{t:.2f}" '
                   f'end_time="{t + 0.02 * (len(stroke) - 1):.2f}">\n')
        for x, y in stroke:
            xa = "" if x is None else f' x="{x}"'
            ya = "" if y is None else f' y="{y}"'
            out.append(f'      <Point{xa}{ya} time="{t:.2f}"/>\n')
            t += 0.02
        out.append("    </Stroke>\n")
        t += 0.1
    return HEADER + "".join(out) + FOOTER


def ascii_txt(lines) -> bytes:
    ocr = " ".join(lines)
    text = f"OCR:\n\n{ocr}\n\nCSR:\n\n" + "\n".join(lines) + "\n"
    return text.encode("latin-1")


RNG = np.random.default_rng(0)


def pen(n, x0, y0):
    xy = np.array([x0, y0]) + np.cumsum(RNG.integers(-20, 21, (n, 2)), axis=0)
    return [tuple(int(v) for v in p) for p in xy]


# form -> (split file or None, transcription lines, {line number: file content})
FORMS = {
    "a01-000u": ("trainset", ["A MOVE to stop Mr. Gaitskell", "café costs £3 é",
                              "from nominating any more"], {
        1: [pen(12, 500, 900), pen(3, 700, 880), [(760, 850)]],  # ends in a dot
        2: [pen(20, 480, 1300), pen(9, 900, 1290)],
        # a missing y (interpolated) and a 3000-unit glitch (split)
        3: [[(100, 800), (110, None), (120, 820), (130, 830), (3130, 830), (3140, 835)]],
    }),
    "a01-000x": ("trainset", ["Labour life Peers", "is to be made", "never written"], {
        1: [pen(15, 300, 700)],
        2: [],  # a StrokeSet without strokes
    }),
    "b02-010": ("testset_v", ["at a meeting of Labour", "M Ps tomorrow", "unsafe"], {
        1: [pen(10, 400, 600), pen(4, 600, 610)],
        2: [pen(8, 200, 500)],
        3: BOMB,
    }),
    "c03-020w": ("testset_t", ["Mr. Michael Foot has", "put down a", "all NaN"], {
        1: HEADER + '    <Stroke colour="black">\n      <Point x="1" y="2"',  # truncated
        2: [pen(11, 350, 650)],
        3: [[("nan", "nan"), (None, None)]],  # no reading survives clean()
    }),
    "d04-030": ("testset_f", ["resolution on the subject", "and he is to be"], {
        1: [pen(9, 800, 1000), pen(6, 1000, 990)],
        2: [pen(7, 850, 1100)],
        3: [pen(5, 900, 1000)],  # a third line file, no third transcription line
    }),
    "e05-040z": ("testset_f", ["listed but absent"], {}),
    "f06-000": (None, ["in no split file"], {1: [pen(5, 10, 10)]}),
}
WRITERS = {"a01-000u": "10039"}  # in original/, like the real strokesu.xml


def make_manual(root: Path) -> Path:
    manual = root / "manual"
    for form, (_, texts, files) in FORMS.items():
        top, mid = form.split("-")[0], form[:7]
        d = manual / "lineStrokes" / top / mid
        d.mkdir(parents=True, exist_ok=True)
        for number, content in files.items():
            data = content if isinstance(content, str) else stroke_xml(content)
            (d / f"{form}-{number:02d}.xml").write_bytes(data.encode("latin-1"))
        a = manual / "ascii" / top / mid
        a.mkdir(parents=True, exist_ok=True)
        if form != "e05-040z":
            (a / f"{form}.txt").write_bytes(ascii_txt(texts))
    for form, writer in WRITERS.items():
        o = manual / "original" / form[:3] / form[:7]
        o.mkdir(parents=True, exist_ok=True)
        (o / f"strokes{form[7:]}.xml").write_text(
            '<?xml version="1.0" encoding="ISO-8859-1"?>\n<WhiteboardCaptureSession>'
            f'<General><Form id="{form}" writerID="{writer}"/></General>'
            "<StrokeSet/></WhiteboardCaptureSession>\n", encoding="latin-1")
    for name in iam_ondb.SPLIT_FILES:
        forms = [f for f, (split, _, _) in FORMS.items() if split == name]
        (manual / f"{name}.txt").write_text("".join(f"{f} \n" for f in forms) + "\n")
    return manual


def pack(manual: Path) -> None:
    """Replace lineStrokes/ and ascii/ by the archives IAM-OnDB distributes."""
    for folder, archive in (("lineStrokes", "lineStrokes-all.tar.gz"),
                            ("ascii", "ascii-all.tar.gz")):
        with tarfile.open(manual / archive, "w:gz") as tar:
            tar.add(manual / folder, arcname=folder)
        shutil.rmtree(manual / folder)


def config(tmp_path, manual, **fields):
    base = dict(data_dir=str(tmp_path / "tfds"), manual_dir=str(manual))
    return ml_collections.ConfigDict({**base, **fields})


def expected_line(strokes) -> np.ndarray:
    """numpy: y flipped, first point at the origin, eos on each stroke's last point."""
    pts = np.array([p for s in strokes for p in s], np.float64) * [1, -1]
    pts -= pts[0]
    eos = np.zeros(len(pts))
    eos[np.cumsum([len(s) for s in strokes]) - 1] = 1
    return np.column_stack([np.diff(pts, axis=0, prepend=pts[:1]), eos]).astype(np.float32)


EXPECTED = {  # line id -> strokes after clean(), by hand
    **{f"{f}-{n:02d}": s for f in ("a01-000u", "a01-000x", "b02-010", "c03-020w", "d04-030")
       for n, s in FORMS[f][2].items() if isinstance(s, list) and s
       and not (f == "c03-020w" and n == 3)},
    "a01-000u-03": [[(100, 800), (110, 810), (120, 820), (130, 830)], [(3130, 830), (3140, 835)]],
}
del EXPECTED["d04-030-03"]


def check_set(stroke_set, ids):
    assert list(stroke_set.ids) == ids
    for line_id, line, text, writer in zip(stroke_set.ids, stroke_set.lines, stroke_set.texts,
                                           stroke_set.writers, strict=True):
        form, number = line_id[:-3], int(line_id[-2:])
        assert line.dtype == np.float32 and line.shape[1] == 3
        np.testing.assert_array_equal(line, expected_line(EXPECTED[line_id]), err_msg=line_id)
        assert text == FORMS[form][1][number - 1]
        assert writer == WRITERS.get(form, form)


TRAIN = ["a01-000u-01", "a01-000u-02", "a01-000u-03", "a01-000x-01"]
VALID = ["b02-010-01", "b02-010-02"]
TESTSET_T = ["c03-020w-02"]
TESTSET_F = ["d04-030-01", "d04-030-02"]


def numpy_stats(stroke_set):
    d = np.concatenate([line[1:, :2] for line in stroke_set.lines]).astype(np.float64)
    return d.mean(axis=0), d.std(axis=0)


def test_standard_split_from_folders(tmp_path):
    manual = make_manual(tmp_path)
    data = iam_ondb.load_iam_ondb(config(tmp_path, manual))
    assert data.name == "iam_ondb"
    check_set(data.train, TRAIN)
    check_set(data.valid, VALID)
    check_set(data.test, TESTSET_F)
    assert data.train.texts[1] == "café costs £3 é"  # ISO-8859-1 bytes decoded
    # y flipped: the first stroke of a01-000u-01 in whiteboard coordinates (y down).
    raw = np.array(FORMS["a01-000u"][2][1][0], np.float64)
    absolute = np.cumsum(data.train.lines[0][:len(raw), :2], axis=0)
    np.testing.assert_allclose(absolute[:, 1], -(raw[:, 1] - raw[0, 1]))
    np.testing.assert_array_equal(data.train.lines[0][:, 2].nonzero()[0], [11, 14, 15])
    mean, std = numpy_stats(data.train)
    np.testing.assert_allclose(data.stats.mean, mean, rtol=1e-6)
    np.testing.assert_allclose(data.stats.std, std, rtol=1e-6)
    info = data.info
    assert {k: info[f"skipped_{k}"] for k in iam_ondb_files.SKIP_REASONS} == {
        "no_transcription": 1, "bad_xml": 1, "unsafe_xml": 1, "too_large": 0,
        "no_strokes": 1, "bad_points": 1}
    assert info["missing_forms"] == {"trainset": 0, "testset_v": 0, "testset_t": 0,
                                     "testset_f": 1}
    assert info["unlisted_line_files"] == 1
    assert info["transcriptions_without_strokes"] == 1  # a01-000x's third line
    assert info["repairs"]["interpolated_points"] == 1
    assert info["repairs"]["split_jumps"] == 1
    assert info["num_lines"] == {"trainset": 4, "testset_v": 2, "testset_t": 1, "testset_f": 2}
    assert info["split"] == "standard" and info["forms_with_writer_id"] == 1


def test_archives_match_folders_and_graves_split(tmp_path):
    manual = make_manual(tmp_path)
    pack(manual)
    with tarfile.open(manual / "original-xml-all.tar.gz", "w:gz") as tar:
        tar.add(manual / "original", arcname="original")
    shutil.rmtree(manual / "original")
    data = iam_ondb.load_iam_ondb(config(tmp_path, manual, split="graves"))
    check_set(data.train, TRAIN + TESTSET_T + TESTSET_F)
    check_set(data.valid, VALID)
    check_set(data.test, VALID)
    mean, std = numpy_stats(data.train)
    np.testing.assert_allclose(data.stats.mean, mean, rtol=1e-6)
    np.testing.assert_allclose(data.stats.std, std, rtol=1e-6)
    assert data.info["split"] == "graves" and data.info["forms_with_writer_id"] == 1
    assert data.info["inputs"]["lineStrokes-all.tar.gz"] != "folder"
    # The same prepared dataset serves the standard split, without the inputs.
    shutil.rmtree(manual)
    standard = iam_ondb.load_iam_ondb(config(tmp_path, manual))
    assert list(standard.train.ids) == TRAIN and list(standard.test.ids) == TESTSET_F


def test_missing_files_are_listed_with_the_folder(tmp_path):
    manual = make_manual(tmp_path)
    (manual / "testset_t.txt").unlink()
    shutil.rmtree(manual / "ascii")
    with pytest.raises(StrokeDataError) as err:
        iam_ondb.load_iam_ondb(config(tmp_path, manual))
    message = str(err.value)
    assert "\n" not in message
    assert "ascii-all.tar.gz (or its unpacked ascii/)" in message
    assert "testset_t.txt" in message and "trainset.txt" not in message
    assert f"put them in {manual}" in message and iam_ondb.URL in message
    assert not list((tmp_path / "tfds").rglob("incomplete*"))


def test_default_manual_dir_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQGEN_DATA_DIR", str(tmp_path / "env"))
    with pytest.raises(StrokeDataError, match=str(tmp_path / "env" / "downloads" / "manual"
                                                   / "iam_ondb")):
        iam_ondb.load_iam_ondb(ml_collections.ConfigDict({"data_dir": ""}))


def test_bad_settings(tmp_path):
    manual = make_manual(tmp_path)
    with pytest.raises(StrokeDataError, match="data_config.split='mine'"):
        iam_ondb.load_iam_ondb(config(tmp_path, manual, split="mine"))
    with pytest.raises(StrokeDataError, match="max_jump=-1"):
        iam_ondb.load_iam_ondb(config(tmp_path, manual, max_jump=-1.0))


def test_failed_preparation_leaves_nothing_and_keeps_prepared(tmp_path):
    manual = make_manual(tmp_path)
    first = iam_ondb.load_iam_ondb(config(tmp_path, manual))
    prepared = sorted(p for p in (tmp_path / "tfds").rglob("*"))
    # A truncated archive, met half way through preparing another max_jump.
    pack(manual)
    archive = manual / "lineStrokes-all.tar.gz"
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(StrokeDataError, match="lineStrokes-all.tar.gz is truncated or corrupt"):
        iam_ondb.load_iam_ondb(config(tmp_path, manual, max_jump=100.0))
    assert sorted(p for p in (tmp_path / "tfds").rglob("*")) == prepared
    again = iam_ondb.load_iam_ondb(config(tmp_path, manual))
    assert again.train.ids == first.train.ids


def test_jump_threshold_is_a_separate_dataset(tmp_path):
    manual = make_manual(tmp_path)
    data = iam_ondb.load_iam_ondb(config(tmp_path, manual, max_jump=10_000.0))
    line = data.train.lines[TRAIN.index("a01-000u-03")]
    np.testing.assert_array_equal(line[:, 2], [0, 0, 0, 0, 0, 1])  # no split
    assert data.info["max_jump"] == 10_000.0
    assert (tmp_path / "tfds" / "seqgen_iam_ondb" / "max_jump_10000").is_dir()


def test_oversized_file_is_skipped_and_empty_train_is_an_error(tmp_path, monkeypatch):
    manual = make_manual(tmp_path)
    big = manual / "lineStrokes" / "a01" / "a01-000" / "a01-000u-02.xml"
    monkeypatch.setattr(iam_ondb_files, "MAX_FILE_BYTES", big.stat().st_size - 1)
    data = iam_ondb.load_iam_ondb(config(tmp_path, manual))
    assert data.info["skipped_too_large"] == 1
    assert "a01-000u-02" not in data.train.ids and len(data.train) == len(TRAIN) - 1

    (manual / "trainset.txt").write_text("e05-040z\n")  # only a form without files
    with pytest.raises(StrokeDataError, match="no usable line in trainset"):
        iam_ondb.load_iam_ondb(config(tmp_path, manual, max_jump=250.0))
    assert not (tmp_path / "tfds" / "seqgen_iam_ondb" / "max_jump_250").exists()
    assert not list((tmp_path / "tfds").rglob("incomplete*"))


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<WhiteboardCaptureSession><StrokeSet><Stroke><Point x="&lol3;" y="1"/></Stroke></StrokeSet>
</WhiteboardCaptureSession>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY ext SYSTEM "http://127.0.0.1:9/never-fetched">]>
<WhiteboardCaptureSession><StrokeSet><Stroke><Point x="&ext;" y="1"/></Stroke></StrokeSet>
</WhiteboardCaptureSession>"""


@pytest.mark.parametrize("payload", [BOMB, EXTERNAL], ids=["entity_bomb", "external_entity"])
def test_hostile_xml_is_skipped_unexpanded_and_unfetched(payload, monkeypatch):
    import socket
    import urllib.request

    def no_network(*a, **k):
        raise AssertionError("the parser tried to fetch an external entity")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(iam_ondb_files._Skip) as skip:
        iam_ondb_files._parse_line(payload)
    assert skip.value.reason == "unsafe_xml"


def test_graves_cleaning_removes_the_glitch_and_is_a_separate_dataset(tmp_path):
    # a01-000u-03 has a missing y (interpolated either way) and a 3000-unit
    # glitch: 'graves' removes the step (one stroke), 'split' splits there.
    manual = make_manual(tmp_path)
    data = iam_ondb.load_iam_ondb(config(tmp_path, manual, cleaning="graves"))
    line = data.train.lines[TRAIN.index("a01-000u-03")]
    want = [(100, 800), (110, 810), (120, 820), (130, 830), (140, 835)]
    np.testing.assert_array_equal(line, expected_line([want]))
    assert data.info["cleaning"] == "graves"
    assert data.info["repairs"]["removed_steps"] == 1
    assert data.info["repairs"]["interpolated_points"] == 1
    root = tmp_path / "tfds" / "seqgen_iam_ondb"
    assert (root / "graves_max_jump_500").is_dir() and not (root / "max_jump_500").exists()
    with pytest.raises(StrokeDataError, match="cleaning='nope'"):
        iam_ondb.load_iam_ondb(config(tmp_path, manual, cleaning="nope"))
