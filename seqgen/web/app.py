"""The web page's ASGI app: one static page and a JSON API (Starlette).

  GET  /              the page (seqgen/web/static: plain HTML, CSS and JS)
  GET  /api/models    what serves writing, reading and text sampling
  GET  /api/styles    the writer's styles, each with a thumbnail SVG
  POST /api/styles    save a drawn line as a named style
  POST /api/write     text -> handwriting (SVG, page layout, strokes, alignment)
  POST /api/read      a drawn line -> its text
  POST /api/sample    a text model's continuation of a prime, streamed as it is sampled

Bad input (seqgen/web/requests.py) is a 400 with {"error": "<one line>"};
anything unexpected is logged and a 500 with a one-line message: the
server keeps running either way. Model calls run in the thread pool, where
seqgen/web/models.py's lock queues them.
"""

from __future__ import annotations

import functools
import json
import logging
import pathlib

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seqgen.command.errors import UserError
from seqgen.web import requests
from seqgen.web.models import Models

log = logging.getLogger(__name__)
STATIC = pathlib.Path(__file__).with_name("static")
# The page loads nothing from elsewhere; the browser is told so too.
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())[:500]}, status_code=status)


def _api(handler):
    """Bad input -> 400, the unexpected -> 500 (logged); both one line."""
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except UserError as e:
            return _error(400, str(e))
        except Exception as e:  # the server outlives any request
            log.exception("request %s %s failed", request.method, request.url.path)
            return _error(500, f"internal error ({type(e).__name__}); the server log has "
                               "the details")
    return wrapped


async def _body(request: Request) -> dict:
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > requests.MAX_BODY_BYTES):
        raise UserError(f"the request is too large (limit {requests.MAX_BODY_BYTES:,} bytes)")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > requests.MAX_BODY_BYTES:
            raise UserError(f"the request is too large (limit "
                            f"{requests.MAX_BODY_BYTES:,} bytes)")
    try:
        body = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise UserError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise UserError("the request body must be a JSON object")
    return body


def make_app(models: Models) -> Starlette:
    """The app serving `models` (seqgen/web/models.py)."""

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    @_api
    async def api_models(request: Request) -> Response:
        return JSONResponse(models.describe())

    @_api
    async def api_styles(request: Request) -> Response:
        if request.method == "POST":
            body = await _body(request)
            name = requests.style_name(body)
            line = requests.canvas_line(body)
            text = requests.text(body, "text", 80, "what the drawn line says")
            saved = await run_in_threadpool(models.save_style, name, line, text)
            return JSONResponse({"saved": saved})
        return JSONResponse({"styles": await run_in_threadpool(models.style_list)})

    @_api
    async def api_write(request: Request) -> Response:
        req = requests.write(await _body(request))
        return JSONResponse(await run_in_threadpool(models.write, req))

    @_api
    async def api_read(request: Request) -> Response:
        line = requests.canvas_line(await _body(request))
        return JSONResponse(await run_in_threadpool(models.read, line))

    @_api
    async def api_sample(request: Request) -> Response:
        req = requests.sample(await _body(request))
        await run_in_threadpool(models.check_prime, req.prime)

        def chunks():
            try:
                yield from models.sample(req)
            except Exception as e:  # the status is sent: say it in the text
                log.exception("sampling failed")
                yield f"\n[sampling failed: {type(e).__name__}]"

        return StreamingResponse(chunks(), media_type="text/plain; charset=utf-8",
                                 headers={"Cache-Control": "no-store"})

    async def not_found(request: Request, exc) -> Response:
        return _error(404, f"no such page: {request.url.path}")

    async def not_allowed(request: Request, exc) -> Response:
        return _error(405, f"{request.method} is not allowed on {request.url.path}")

    return Starlette(routes=[
        Route("/", index),
        Route("/api/models", api_models),
        Route("/api/styles", api_styles, methods=["GET", "POST"]),
        Route("/api/write", api_write, methods=["POST"]),
        Route("/api/read", api_read, methods=["POST"]),
        Route("/api/sample", api_sample, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], exception_handlers={404: not_found, 405: not_allowed},
        middleware=[Middleware(_SecurityHeaders)])


class _SecurityHeaders:
    """Adds the CSP and nosniff headers to every response (plain ASGI, so
    streamed responses pass through untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Background:
    """`app` served by uvicorn on a free localhost port in a daemon thread (the
    tests and the latency benchmark): `.url` while running, `.stop()` after."""

    def __init__(self, app: Starlette, timeout_s: float = 30.0):
        import socket
        import threading
        import time

        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
