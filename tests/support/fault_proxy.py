"""A TCP proxy (bytes, not HTTP) between browser and chat server that can hold, cut and refuse connections.

It plays the network in the tests of lost answers: hold what the server sends (the answer to a send
never arrives), hold what the browser sends (the send never reaches the server), cut every connection
(the socket drops), refuse new ones (the tab stays away). Nothing in the product knows about it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

Direction = Literal["up", "down"]  # up: browser → server, down: server → browser
POLL_SECONDS = 0.02


class _Link:
    def __init__(self, browser: socket.socket, server: socket.socket) -> None:
        self.browser = browser
        self.server = server
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()
        for side in (self.browser, self.server):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()


class FaultProxy:
    """Listens on a free port of 127.0.0.1 and forwards to `target_port`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._flowing = {"up": threading.Event(), "down": threading.Event()}
        for event in self._flowing.values():
            event.set()
        self._refusing = False
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._accepting = threading.Thread(target=self._accept, daemon=True, name="proxy accept")
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hold(self, direction: Direction) -> None:
        """Bytes going this way wait in the proxy (connections stay open) until `release` or `cut`."""
        self._flowing[direction].clear()

    def release(self, direction: Direction) -> None:
        self._flowing[direction].set()

    def cut(self) -> None:
        """Close every open connection; what was held is dropped. Holds end."""
        with self._lock:
            links, self._links = self._links, set()
        for link in links:
            link.close()
        for event in self._flowing.values():
            event.set()

    def refuse(self, refusing: bool = True) -> None:
        """While refusing, new connections are closed at once."""
        self._refusing = refusing

    def close(self) -> None:
        self._listener.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                browser, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self._refusing:
                browser.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                server.settimeout(None)
            except OSError:
                browser.close()
                continue
            link = _Link(browser, server)
            with self._lock:
                self._links.add(link)
            for source, target, direction in ((browser, server, "up"), (server, browser, "down")):
                threading.Thread(
                    target=self._pump, args=(link, source, target, direction), daemon=True, name="proxy pump"
                ).start()

    def _pump(self, link: _Link, source: socket.socket, target: socket.socket, direction: Direction) -> None:
        flowing = self._flowing[direction]
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while not flowing.wait(POLL_SECONDS):
                    if link.closed.is_set():
                        return
                if link.closed.is_set():
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._links.discard(link)
            link.close()
