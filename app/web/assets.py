"""NiceGUI's own assets (Vue, Quasar, Tailwind, socket.io, fonts), compressed once instead of per request.

Every fresh browser fetches ~1.3 MB of them, and NiceGUI gzips each response on the fly at level 9: most of
the CPU of a page load, and the reason 1000 newcomers took 90 s to connect. At start-up the assets are
copied once per NiceGUI version into the data directory with a `.gz` beside each (ServeStatic's
compressor), and ServeStatic picks the response in front of everything else: the precompressed file when
the browser accepts gzip, far-future `immutable` caching (the URLs carry NiceGUI's version), `Vary:
Accept-Encoding`, ETag, and no session cookie (the session middleware never sees these requests).

The bodies are answered from memory (each file read once, ~1.7 MB for all the page uses): ServeStatic's own
ASGI file server starts a thread for every file it sends, which was most of the CPU of a page load.
Range requests, which browsers do not make for scripts and styles, still go to ServeStatic's file server.
The chat's own few files (its stylesheet, its Vue components and the modules they share) are gzipped once
into memory at start (`OwnAsset`), instead of being read through a thread pool and gzipped by a middleware on
every request.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import mimetypes
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nicegui
from nicegui.version import __version__ as nicegui_version
from servestatic.asgi import FileServerASGI, ServeStaticASGI
from servestatic.compress import Compressor
from servestatic.responders import StaticFile
from servestatic.utils import parse_accept_encoding
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from app.web.headers import relative_path

log = logging.getLogger(__name__)

NICEGUI_STATIC = Path(nicegui.__path__[0]) / "static"
URL_PREFIX = f"/_nicegui/{nicegui_version}/static/"
OWN_STATIC_CACHE = "public, max-age=3600"  # not versioned: a new release is seen within the hour
PAGE_LANGUAGE = "en-US"  # the page's language (`ui.run_with(language=...)` in app/main.py)


def compressed_copy(data_dir: Path, source: Path = NICEGUI_STATIC) -> Path:
    """`<data_dir>/static/nicegui-<version>`: the assets and their `.gz`, made once (atomically: a
    half-written copy from a killed start is never used)."""
    target = data_dir / "static" / f"nicegui-{nicegui_version}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        shutil.copytree(source, building, dirs_exist_ok=True)
        compressor = Compressor(use_gzip=True, use_brotli=False, use_zstd=False, quiet=True)
        for folder, _dirs, files in os.walk(building):
            for name in files:
                path = Path(folder, name)
                if compressor.should_compress(name) and page_uses(building, path.relative_to(building)):
                    compressor.compress(path)
        os.rename(building, target)
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        if not target.is_dir():  # another process may have won the race
            raise
    log.info("NiceGUI's assets compressed once into %s", target)
    return target


def page_uses(root: Path, path: Path) -> bool:
    """Whether the chat's page can load this asset (`path` relative to `root`): not the development
    builds beside the `.prod` ones, other languages, or the Sass and UnoCSS compilers. Those stay
    available, served as NiceGUI serves them."""
    name = path.name
    if path.parts[0] == "unocss" or name.startswith("sass."):
        return False
    if path.parts[0] == "lang":
        return name.startswith(PAGE_LANGUAGE)
    base, _dot, ext = name.rpartition(".")
    return ".prod." in name or not (root / path.parent / f"{base}.prod.{ext}").exists()


@dataclass(frozen=True)
class OwnAsset:
    """One of the chat's own files, with its gzip, ready to send."""

    body: bytes
    gzipped: bytes
    headers: list[tuple[bytes, bytes]]  # what every answer carries, the ETag included
    etag: str

    @classmethod
    def read(cls, path: Path, cache_control: str) -> OwnAsset:
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        headers = [
            (b"content-type", content_type.encode()),
            (b"cache-control", cache_control.encode()),
            (b"etag", etag.encode()),
            (b"vary", b"Accept-Encoding"),
        ]
        return cls(body, gzip.compress(body, compresslevel=9, mtime=0), headers, etag)

    async def answer(self, scope: Scope, send: Send) -> None:
        headers = dict(scope["headers"])
        if headers.get(b"if-none-match", b"").decode("latin-1") == self.etag:
            await respond(send, 304, self.headers)
            return
        zipped = accepts_gzip(headers.get(b"accept-encoding", b"").decode("latin-1"))
        body = self.gzipped if zipped else self.body
        response_headers = [*self.headers, (b"content-length", str(len(body)).encode())]
        if zipped:
            response_headers.append((b"content-encoding", b"gzip"))
        await respond(send, 200, response_headers, body if scope["method"] == "GET" else b"")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (`gzip;q=0` refuses it), read as ServeStatic reads it
    for NiceGUI's assets."""
    return not parse_accept_encoding(accept_encoding).isdisjoint(("gzip", "*"))


async def respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class PrecompressedAssets:
    """ASGI middleware: requests for NiceGUI's versioned assets are answered from the compressed copy,
    those for the chat's own files (`own`: URL path -> asset) from memory."""

    def __init__(self, app: ASGIApp, directory: Path | None, own: dict[str, OwnAsset] | None = None) -> None:
        self.app = app
        self._own = own or {}
        self._files = ServeStaticASGI(None, immutable_file_test=lambda _path, _url: True, max_age=None)
        if directory is not None:
            self._files.add_files(directory, URL_PREFIX)
        self._bodies: dict[str, bytes] = {}  # file path -> content, read at first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = relative_path(scope)
            own = self._own.get(path)
            if own is not None and scope["method"] in ("GET", "HEAD"):
                await own.answer(scope, send)
                return
            found = self._files.files.get(path) if path.startswith(URL_PREFIX) else None
            if isinstance(found, StaticFile) and scope["method"] in ("GET", "HEAD"):
                headers = request_headers(scope)
                if "HTTP_RANGE" not in headers:
                    await self._answer(found, headers, scope["method"] == "GET", send)
                    return
            if found is not None:
                await FileServerASGI(found)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, found: StaticFile, headers: dict[str, str], with_body: bool, send: Send) -> None:
        if found.is_not_modified(headers):
            response = found.not_modified_response
            await respond(send, 304, encode(response.headers))
            return
        file_path, response_headers = found.get_path_and_headers(headers)
        body = self._bodies.get(file_path)
        if body is None:
            body = self._bodies[file_path] = await asyncio.to_thread(Path(file_path).read_bytes)  # once
        await respond(send, 200, encode(response_headers), body if with_body else b"")


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers as ServeStatic's responders read them (WSGI style: `HTTP_ACCEPT_ENCODING`)."""
    return {
        "HTTP_" + key.decode("latin-1").upper().replace("-", "_"): value.decode("latin-1")
        for key, value in scope["headers"]
    }


def encode(headers: list[tuple[str, str | None]]) -> list[tuple[bytes, bytes]]:
    return [
        (key.lower().encode("latin-1"), value.encode("latin-1"))
        for key, value in headers
        if value is not None
    ]


def own_assets(static_dir: Path, static_url: str) -> dict[str, OwnAsset]:
    """The chat's stylesheet and scripts (`static_dir` served at `static_url`), its Vue components and the
    modules they share (their `dependencies`, in the page's import map), those whose file lies beside
    `static_dir`, by URL path."""
    from nicegui import app
    from nicegui.dependencies import js_components, libraries

    assets = {
        f"{static_url}/{path.relative_to(static_dir).as_posix()}": OwnAsset.read(path, OWN_STATIC_CACHE)
        for path in sorted(static_dir.rglob("*"))
        if path.is_file()
    }
    for component in js_components.values():
        if component.path.parent == static_dir.parent:
            url = f"/_nicegui/{nicegui_version}/components/{component.key}"
            assets[url] = OwnAsset.read(component.path, app.config.cache_control_directives)
    for library in libraries.values():
        if library.path.parent == static_dir.parent:
            url = f"/_nicegui/{nicegui_version}/libraries/{library.key}"
            assets[url] = OwnAsset.read(library.path, app.config.cache_control_directives)
    return assets


def serve_precompressed_assets(app: Starlette, data_dir: Path, static_dir: Path, static_url: str) -> None:
    """In front of NiceGUI's app (add it after `ui.run_with`, so it sits outside NiceGUI's middlewares)."""
    directory: Path | None = None
    try:
        directory = compressed_copy(data_dir)
    except OSError as error:  # e.g. a full disk: NiceGUI serves them itself, compressing per request
        log.warning("NiceGUI's assets are served uncompressed-at-rest: %s", error)
    app.add_middleware(PrecompressedAssets, directory=directory, own=own_assets(static_dir, static_url))
