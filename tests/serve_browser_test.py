"""The web page in a real browser: Chromium driven by Playwright against
`seqgen.serve`'s app on uvicorn, serving tiny trained runs. Type and write,
draw a line with pointer events and write in its style, read a drawn line
back, stream a text sample, and see bad input's message on the page.
Screenshots go to the test's tmp dir, and to $SEQGEN_SCREENSHOTS if set
(the README's docs/serve_write.png and docs/serve_style.png are taken so).

Needs the system Chromium (apt-get install chromium); skipped without it.
"""

import os
import pathlib
import shutil

import numpy as np
import pytest

from seqgen.data import strokes

CHROMIUM = os.environ.get("SEQGEN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def base_url(request, tmp_path_factory):
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        print(f"\nskipping the browser tests: {CHROMIUM} not found")
        pytest.skip("chromium not installed: apt-get install chromium")
    pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    tiny_served_runs = request.getfixturevalue("tiny_served_runs")  # after the checks
    from seqgen.web import app as web_app
    from seqgen.web import models as web_models

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQGEN_STYLES", str(tmp_path_factory.mktemp("saved_styles")))
        served = web_models.Models(web_models.load(list(tiny_served_runs.values())))
        server = web_app.Background(web_app.make_app(served))
        yield server.url, served
        server.stop()


@pytest.fixture(scope="module")
def browser(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    url, _ = base_url
    # The page's CSP forbids eval, which Playwright's wait_for_function uses.
    context = browser.new_context(viewport={"width": 1100, "height": 820}, bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    pg.wait_for_selector("#style-picker button")
    yield pg
    context.close()
    assert not errors, errors  # no JavaScript errors on the page


def shoot(page, tmp_path, name):
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if os.environ.get("SEQGEN_SCREENSHOTS"):
        page.screenshot(path=str(pathlib.Path(os.environ["SEQGEN_SCREENSHOTS"]) / name),
                        full_page=True)


def draw(page, canvas, line_Tx3):
    """Writes a line on a canvas with the mouse (pointer events), fitted to it."""
    box = page.locator(canvas).bounding_box()
    pts = strokes.to_absolute(line_Tx3) * np.array([1.0, -1.0])
    pts -= pts.min(0)
    s = min(0.55 * box["height"] / max(np.ptp(pts[:, 1]), 1e-6),
            0.9 * box["width"] / max(np.ptp(pts[:, 0]), 1e-6))
    pts = pts * s + [box["x"] + 0.04 * box["width"], box["y"] + 0.2 * box["height"]]
    for stroke in strokes.split_strokes(pts, line_Tx3[:, 2]):
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(x, y)
        page.mouse.up()


def test_type_text_and_write(page, tmp_path):
    page.fill("#text", "to be or not to be")
    page.click("#write-btn")
    page.wait_for_selector("#result[data-done='1'] svg path", state="attached")
    assert page.locator("#result svg path").count() > 2
    assert "stop rule fired on" in page.inner_text("#write-info")
    stopped = page.evaluate("state.result.stopped")
    assert isinstance(stopped, list) and len(stopped) == 1
    page.click("#align-btn")
    assert page.locator("#alignment canvas").count() == 1
    shoot(page, tmp_path, "serve_write.png")
    for link, magic in (("#dl-svg", b"<svg"), ("#dl-png", b"\x89PNG"), ("#dl-json", b"{")):
        with page.expect_download() as download:
            page.click(link)
        assert pathlib.Path(download.value.path()).read_bytes().startswith(magic), link


def test_draw_a_line_and_write_in_its_style(page, base_url, tmp_path):
    _, served = base_url
    style = served.styles()[0]
    page.fill("#text", "hello")  # what the Write tab will write in the drawn style
    page.click("#tabs button[data-tab=style]")
    draw(page, "#style-pad", style.line_Tx3)
    page.fill("#ink-text", style.text)
    shoot(page, tmp_path, "serve_style.png")
    drawn = page.evaluate("stylePad.strokes")
    assert len(drawn) == int(style.line_Tx3[:, 2].sum()) and len(drawn[0][0]) == 3
    with page.expect_response("**/api/write") as response:
        page.click("#style-use")
    assert response.value.status == 200, response.value.text()
    page.wait_for_selector("#tab-write.tab.active #result[data-done='1'] svg path",
                           state="attached")
    assert page.evaluate("state.result.primed") is True
    assert page.evaluate("state.result.alignment[0].text") == style.text + " hello"
    page.click("#tabs button[data-tab=style]")
    page.fill("#style-name", "drawn-here")
    page.click("#style-save")
    page.wait_for_selector("#style-picker button[data-style='drawn-here']", state="attached")
    assert "saved as drawn-here" in page.inner_text("#style-status")


def test_read_a_drawn_line(page, base_url):
    _, served = base_url
    page.click("#tabs button[data-tab=read]")
    draw(page, "#read-pad", served.styles()[1].line_Tx3)
    with page.expect_response("**/api/read") as response:
        page.click("#read-btn")
    assert response.value.status == 200 and "text" in response.value.json()
    assert not page.locator("#read-status.error").count()
    assert page.inner_text("#read-out") == response.value.json()["text"].strip()


def test_sample_text_streams_into_the_page(page):
    page.click("#tabs button[data-tab=text]")
    page.fill("#prime", "the")
    page.fill("#length", "200")
    page.click("#sample-btn")
    page.wait_for_function("document.getElementById('sample-status').textContent === 'done'",
                           timeout=30_000)
    assert len(page.inner_text("#sample-out")) > len("the") + 50


def test_bad_input_shows_the_message(page, tmp_path):
    page.fill("#text", "")
    page.click("#write-btn")
    page.wait_for_selector("#write-status.error")
    assert "text is missing" in page.inner_text("#write-status")
    page.fill("#text", "snow \u2603")
    page.click("#write-btn")
    page.wait_for_function("document.getElementById('write-status').textContent"
                           ".includes('cannot be written')")
    page.click("#tabs button[data-tab=style]")
    page.click("#style-use")  # nothing drawn
    page.wait_for_selector("#style-status.error")
    assert "no ink" in page.inner_text("#style-status")
    page.click("#tabs button[data-tab=read]")
    page.click("#read-btn")
    page.wait_for_selector("#read-status.error")
    assert "no ink" in page.inner_text("#read-status")
    shoot(page, tmp_path, "serve_bad_input.png")
