"""The web page's API (seqgen/web) on tiny trained runs: writing (plain, with
a style, with drawn ink; SVG, layout, strokes, alignment, the stop rule),
reading a drawn line, streamed text sampling, saving a style, every kind of
bad input as a 4xx with one line, an unexpected failure as a 500 the server
survives, and concurrent requests each getting their own result."""

import json
import pathlib
import re
import threading
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():  # starlette 1.x prefers httpx2 to httpx; both work
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from seqgen.data import strokes
from seqgen.handwriting import ink, styles
from seqgen.web import app as web_app
from seqgen.web import models as web_models

STATIC = pathlib.Path(web_app.__file__).with_name("static")


@pytest.fixture(scope="module")
def served(tiny_served_runs, tmp_path_factory):
    saved = tmp_path_factory.mktemp("saved_styles")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQGEN_STYLES", str(saved))
        # Unverified by default: the tiny reader misreads every line, so each
        # write would take all three rounds; the tests of verification ask for it.
        m = web_models.Models(web_models.load(list(tiny_served_runs.values())), verify=False)
        with TestClient(web_app.make_app(m)) as client:
            yield client, m, saved


def drawn(style, scale=2.5):
    """A style's line as a canvas records it: [x, y, t] points, y down."""
    points = strokes.to_absolute(style.line_Tx3) * np.array([scale, -scale]) + [40, 150]
    return [[[round(float(x), 1), round(float(y), 1), 8.0 * k] for k, (x, y) in enumerate(s)]
            for s in strokes.split_strokes(points, style.line_Tx3[:, 2])]


def test_models_styles_and_the_page(served):
    client, m, _ = served
    described = client.get("/api/models").json()
    assert {r: d["kind"] for r, d in described.items()} == {
        "write": "synthesis", "read": "recognition", "sample": "text"}
    found = client.get("/api/styles").json()["styles"]
    assert len(found) >= 2 and all("<path" in s["svg"] and s["text"] for s in found)
    page = client.get("/")
    assert page.status_code == 200 and "app.js" in page.text
    ids = re.findall(r'\bid="([^"]+)"', page.text)
    assert len(ids) == len(set(ids)), ids  # getElementById needs unique ids
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for f in STATIC.iterdir():  # offline: nothing is fetched from elsewhere
        assert "http://" not in f.read_text().replace("http://www.w3.org", "") \
            and "https://" not in f.read_text(), f
        assert client.get(f"/static/{f.name}").status_code == 200


def test_write_returns_svg_layout_strokes_alignment_and_the_stop_rule(served, tmp_path):
    client, _, _ = served
    r = client.post("/api/write", json={"text": "to be or\nnot to be", "color": "navy",
                                        "stroke_width": 3})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["texts"] == ["to be or", "not to be"] and not out["primed"]
    assert out["svg"].count("<path") == 2 and 'stroke="#000080"' in out["svg"]
    assert len(out["page"]["rows"]) == 2 and all(out["page"]["rows"])
    assert len(out["stopped"]) == len(out["points"]) == 2
    assert all(isinstance(s, bool) for s in out["stopped"])
    assert [a["text"] for a in out["alignment"]] == out["texts"]
    assert len(out["alignment"][0]["phi"][0]) == len("to be or") + 1
    assert out["verified"] is None  # this server's default is off
    out = client.post("/api/write", json={"text": "to be or\nnot to be", "verify": True}).json()
    # Verified by the product reader: its read-back of every line, versions written.
    v = out["verified"]
    assert len(v["reads"]) == len(v["attempts"]) == 2 and all(a >= 1 for a in v["attempts"])
    assert all(isinstance(r, str) for r in v["reads"])
    assert set(v["doubtful"]) <= {0, 1}
    off = client.post("/api/write", json={"text": "to be or", "verify": False}).json()
    assert off["verified"] is None
    path = tmp_path / "page.json"  # the raw strokes read back as an ink file
    path.write_text(json.dumps(out["strokes"]))
    lines, texts = ink.load(path)
    assert texts == out["texts"] and len(lines) == 2


def test_write_with_a_style_and_with_drawn_ink_then_save_it(served):
    client, m, saved = served
    style = m.styles()[0]
    r = client.post("/api/write", json={"text": "hello", "style": style.name})
    assert r.status_code == 200 and r.json()["primed"], r.text
    ink_body = {"strokes": drawn(style), "ink_text": style.text}
    r = client.post("/api/write", json={"text": "hello", **ink_body})
    assert r.status_code == 200 and r.json()["primed"], r.text
    assert r.json()["alignment"][0]["text"] == style.text + " hello"
    r = client.post("/api/write", json={"text": "hello", "strokes": ink_body["strokes"],
                                        "ink_text": style.text * 5})
    assert r.status_code == 400 and "give the text that was written" in r.json()["error"]
    r = client.post("/api/styles", json={"name": "mine", "strokes": ink_body["strokes"],
                                         "text": style.text})
    assert r.status_code == 200 and (saved / "mine.npz").exists(), r.text
    assert "mine" in [s["name"] for s in client.get("/api/styles").json()["styles"]]
    assert client.post("/api/write", json={"text": "hi", "style": "mine"}).status_code == 200
    assert styles.find("mine", m.loaded["write"].workdir).text == style.text


def test_read_a_drawn_line(served):
    client, m, _ = served
    r = client.post("/api/read", json={"strokes": drawn(m.styles()[1])})
    assert r.status_code == 200 and isinstance(r.json()["text"], str), r.text


def test_sample_streams_the_continuation_in_chunks(served):
    client, m, _ = served
    with client.stream("POST", "/api/sample", json={"prime": "the", "length": 100,
                                                     "seed": 3}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        chunks = list(r.iter_text())
    text = "".join(chunks)
    assert len(chunks) >= 2 and text
    if m.loaded["sample"].kind.vocab.level == "char":
        assert len(text) == 100
    again = client.post("/api/sample", json={"prime": "the", "length": 100, "seed": 3})
    assert again.text == text  # the same seed, the same text


LONG = "x" * 801
BAD = [  # path, body (dict, or raw bytes), words of the message
    ("/api/write", {"text": LONG}, "at most 800"),
    ("/api/write", {"text": "snow \u2603"}, "cannot be written"),
    ("/api/write", {"text": "\u041f\u0440\u0438\u0432\u0435\u0442"}, "gap on the page"),
    ("/api/write", {}, "text is missing"),
    ("/api/write", {"text": "   "}, "text is missing"),
    ("/api/write", {"text": 5}, "must be a string"),
    ("/api/write", {"text": "a\n" * 17}, "at most 16"),
    ("/api/write", {"text": "hi", "bias": "1"}, "give a number"),
    ("/api/write", {"text": "hi", "bias": -1}, "bias=-1"),
    ("/api/write", {"text": "hi", "bias": True}, "give a number"),
    ("/api/write", b'{"text": "hi", "bias": NaN}', "bias=nan"),
    ("/api/write", {"text": "hi", "stroke_width": 1e9}, "stroke_width"),
    ("/api/write", {"text": "hi", "seed": 1.5}, "whole number"),
    ("/api/write", {"text": "hi", "verify": "yes"}, "verify='yes'"),
    ("/api/write", {"text": "hi", "wrap": 2}, "wrap=2"),
    ("/api/write", {"text": "hi", "color": "no-such-colour"}, "is not a colour"),
    ("/api/write", {"text": "hi", "style": "nope"}, "not a style here"),
    ("/api/write", {"text": "hi", "strokes": [[[0, 0], [5, 5]]]}, "ink_text is missing"),
    ("/api/write", {"text": "hi", "strokes": [], "ink_text": "hello"}, "no ink"),
    ("/api/write", {"text": "hi", "strokes": [[[0, 0], [5, 5]] * 20], "ink_text": "hello",
                    "style": "x"}, "not both"),
    ("/api/write", {"text": "hi", "strokes": [[[0, 0], [1, 1], [2, 0]]], "ink_text": "hello"},
     "too little ink"),
    ("/api/write", b"{not json", "not valid JSON"),
    ("/api/write", b"[1, 2]", "JSON object"),
    ("/api/read", {}, "no ink"),
    ("/api/read", {"strokes": []}, "no ink"),
    ("/api/read", {"strokes": "abc"}, "list of strokes"),
    ("/api/read", {"strokes": [[[0, 0]]] * 301}, "at most 300"),
    ("/api/read", {"strokes": [[[i, i] for i in range(10_001)]]}, "at most 10,000"),
    ("/api/read", {"strokes": [[[0, 0], [1, "a"]]]}, "[x, y] or [x, y, t] numbers"),
    ("/api/read", {"strokes": [[[0, 0], [1, 2, 3, 4]]]}, "[x, y] or [x, y, t] numbers"),
    ("/api/read", b'{"strokes": [[[0, 0], [Infinity, 1]]]}', "not finite"),
    ("/api/read", {"strokes": [[[0, 0], [1e12, 1]]]}, "off any screen"),
    ("/api/read", {"strokes": [[]]}, "at least one point"),
    ("/api/sample", {}, "prime is missing"),
    ("/api/sample", {"prime": "the", "length": 0}, "length=0"),
    ("/api/sample", {"prime": "the", "length": 10**6}, "length=1000000"),
    ("/api/sample", {"prime": "the", "temperature": -1}, "temperature=-1"),
    ("/api/sample", {"prime": "\u2603"}, "\u2603"),
    ("/api/styles", {"name": "../evil", "strokes": [[[0, 0], [5, 5]]], "text": "a"},
     "letters, digits"),
    ("/api/styles", {"name": "ok", "text": "a"}, "no ink"),
]


@pytest.mark.parametrize("path, body, needle", BAD, ids=[f"{p}-{i}" for i, (p, _, _) in
                                                          enumerate(BAD)])
def test_bad_input_is_a_4xx_with_one_line(served, path, body, needle):
    client, _, _ = served
    r = client.post(path, content=body, headers={"content-type": "application/json"}) \
        if isinstance(body, bytes) else client.post(path, json=body)
    assert 400 <= r.status_code < 500, r.text
    message = r.json()["error"]
    assert needle in message and "\n" not in message and len(message) < 500, message


def test_wrong_method_unknown_page_and_too_large_body(served):
    client, _, _ = served
    assert client.get("/api/write").status_code == 405
    assert "no such page" in client.get("/api/nope").json()["error"]
    r = client.post("/api/read", content=b" " * 2_000_001,
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and "too large" in r.json()["error"]


def test_an_unexpected_failure_is_a_500_and_the_server_goes_on(served, monkeypatch):
    client, m, _ = served
    monkeypatch.setattr(m, "read", lambda line: 1 / 0)
    r = client.post("/api/read", json={"strokes": drawn(m.styles()[0])})
    assert r.status_code == 500 and "ZeroDivisionError" in r.json()["error"]
    monkeypatch.undo()
    assert client.post("/api/write", json={"text": "still here"}).status_code == 200


def test_concurrent_requests_each_get_their_own_result(served):
    client, _, _ = served
    texts = ["one", "two words", "a third line", "four", "five and five", "sit"]
    alone = {t: client.post("/api/write", json={"text": t, "seed": 7}).json() for t in texts}
    together = {}

    def post(t):
        together[t] = client.post("/api/write", json={"text": t, "seed": 7}).json()

    threads = [threading.Thread(target=post, args=(t,)) for t in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for t in texts:
        assert together[t]["texts"] == [t]
        assert together[t]["strokes"] == alone[t]["strokes"]  # bit for bit, as if alone


def test_after_warm_up_bucketed_requests_compile_nothing(served):
    from seqgen.models import generate

    client, m, _ = served
    m.warm_up()
    compiled = generate._write._cache_size()
    # Letters the tiny writer knows (a gap is refused), verified by default:
    # the retries reuse the page's sampler.
    for text in ["short", "e" * 39, "\n".join(["three lines of thirty characters"] * 3),
                 "o" * 70 + " " + "a" * 5]:
        r = client.post("/api/write", json={"text": text, "wrap": 80, "seed": 1})
        assert r.status_code == 200, r.text
    assert generate._write._cache_size() == compiled
