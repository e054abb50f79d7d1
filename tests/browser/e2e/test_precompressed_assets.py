"""NiceGUI's assets are compressed once and served as files: gzip when accepted, cacheable forever, no
cookie; the page still works in Chromium."""

from __future__ import annotations

import gzip
import re
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.main import STATIC_DIR
from app.web.assets import NICEGUI_STATIC, URL_PREFIX, accepts_gzip, compressed_copy
from tests.browser.e2e.conftest import NewPage
from tests.support.server import ChatServer

ASSET = re.compile(r'"(/_nicegui/[\d.]+/static/quasar\.umd\.prod\.js)"')
COMPONENT = re.compile(r'"(/_nicegui/[\d.]+/components/[0-9a-f]+/composer\.js)"')
SHARED_MODULE = re.compile(r'"socket_events": ?"(/_nicegui/[\d.]+/libraries/[0-9a-f]+/socket_events\.js)"')


def get(url: str, encoding: str | None) -> tuple[Message, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers, response.read()


def test_assets_come_compressed_cacheable_and_without_cookie(server: ChatServer) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        html = response.read().decode()
    asset = ASSET.search(html)
    assert asset, "the page references Quasar"
    original = (NICEGUI_STATIC / "quasar.umd.prod.js").read_bytes()

    headers, body = get(server.url + asset.group(1), "gzip, deflate, br")
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == original
    assert "immutable" in headers["Cache-Control"]
    assert "Accept-Encoding" in headers["Vary"]
    assert headers.get("Set-Cookie") is None
    assert (server.root / "data" / "static").is_dir(), "the compressed copy lives in the data directory"

    headers, body = get(server.url + asset.group(1), None)  # a client that takes no compression
    assert headers.get("Content-Encoding") is None
    assert body == original

    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(server.url + URL_PREFIX + "no-such-file.js", timeout=10)
    assert error.value.code == 404


def test_assets_answer_head_revalidation_and_ranges(server: ChatServer) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        asset = ASSET.search(response.read().decode())
    assert asset
    url = server.url + asset.group(1)
    headers, body = get(url, "gzip")
    assert body, "served from memory the second time as the first"
    assert get(url, "gzip")[1] == body

    head = urllib.request.Request(url, method="HEAD", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(head, timeout=10) as response:
        assert response.read() == b""
        assert response.headers["Content-Length"] == str(len(body))

    revalidate = urllib.request.Request(url, headers={"If-None-Match": headers["ETag"]})
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(revalidate, timeout=10)
    assert not_modified.value.code == 304

    ranged = urllib.request.Request(url, headers={"Range": "bytes=0-9"})
    with urllib.request.urlopen(ranged, timeout=10) as response:
        assert response.status == 206
        assert response.read() == (NICEGUI_STATIC / "quasar.umd.prod.js").read_bytes()[:10]

    post = urllib.request.Request(url, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as not_allowed:
        urllib.request.urlopen(post, timeout=10)
    assert not_allowed.value.code == 405


def test_own_files_come_gzipped_from_memory(server: ChatServer) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        html = response.read().decode()
    component = COMPONENT.search(html)
    assert component, "the page loads the composer component"
    shared = SHARED_MODULE.search(html)
    assert shared, "the page's import map has the module the components share"
    # preloaded with the components (relative to the page at the chat's root), not one round trip after them
    assert f'<link rel="modulepreload" href="{shared.group(1).removeprefix("/")}">' in html
    composer = (Path(STATIC_DIR).parent / "composer.js").read_bytes()
    socket_events = (Path(STATIC_DIR).parent / "socket_events.js").read_bytes()
    stylesheet = (Path(STATIC_DIR) / "chat.css").read_bytes()
    for url, original, cache in (
        (component.group(1), composer, "immutable"),
        (shared.group(1), socket_events, "immutable"),
        ("/chat-static/chat.css", stylesheet, "max-age=3600"),
    ):
        headers, body = get(server.url + url, "br;q=1.0, gzip;q=0.8")
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body) == original
        assert cache in headers["Cache-Control"]
        assert headers.get("Set-Cookie") is None
        headers, body = get(server.url + url, "gzip;q=0")  # refused: plain
        assert headers.get("Content-Encoding") is None
        assert body == original
        revalidate = urllib.request.Request(server.url + url, headers={"If-None-Match": headers["ETag"]})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(revalidate, timeout=10)
        assert not_modified.value.code == 304
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server.url + "/chat-static/no-such.css", timeout=10)
    assert missing.value.code == 404


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("br, deflate", False),
        ("", False),
        (",,;;q=", False),
        ("gzipx", False),
    ],
)
def test_accept_encoding_is_read_strictly(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_page_works_in_chromium_with_the_compressed_assets(new_page: NewPage) -> None:
    page = new_page()  # waits for the handshake: Vue, Quasar and socket.io all loaded and ran
    expect(page.get_by_role("heading", name="Chat")).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_editable()


def test_the_copy_is_made_once_and_a_half_made_one_is_not_used(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "lang").mkdir(parents=True)
    (source / "app.js").write_text("console.log('x');\n" * 200)
    (source / "lib.js").write_text("/* development build */\n" * 200)
    (source / "lib.prod.js").write_text("/* production build */\n" * 200)
    (source / "lang" / "en-US.umd.prod.js").write_text("export default {};\n" * 100)
    (source / "lang" / "de.umd.prod.js").write_text("export default {};\n" * 100)
    (source / "font.woff2").write_bytes(b"\x00" * 500)
    data = tmp_path / "data"
    (data / "static" / ".building-crashed").mkdir(parents=True)  # a start killed half-way

    copy = compressed_copy(data, source)
    assert (copy / "app.js").read_text() == (source / "app.js").read_text()
    assert gzip.decompress((copy / "app.js.gz").read_bytes()) == (source / "app.js").read_bytes()
    assert (copy / "lib.prod.js.gz").is_file()
    assert (copy / "lang" / "en-US.umd.prod.js.gz").is_file()
    # what the page never loads is copied but not compressed; fonts are compressed already
    assert sorted(p.name for p in copy.rglob("*.gz")) == [
        "app.js.gz",
        "en-US.umd.prod.js.gz",
        "lib.prod.js.gz",
    ]
    assert (copy / "lib.js").is_file() and (copy / "lang" / "de.umd.prod.js").is_file()

    (source / "app.js").write_text("changed")  # same NiceGUI version: the copy is reused, not rebuilt
    assert compressed_copy(data, source) == copy
    assert (copy / "app.js").read_text() != "changed"
