"""HTTP hardening of the chat's own paths: security headers on every response, and no session for the
paths that need none (health checks and static files), so they set no cookie and a shared cache may keep them.

Both are ASGI middleware on NiceGUI's app, which `mount_chat` mounts at the chat's path: inside someone
else's FastAPI app they apply to the chat's paths only, never to the host's own routes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.patches.starlette import added_middleware, replace_added_middleware

# NiceGUI renders the page with inline scripts and compiles Vue templates at run time (`new Function`),
# and Quasar sets inline styles: those need 'unsafe-inline' and 'unsafe-eval'. Everything else comes from
# the chat's own origin ('self' covers its ws:/wss: socket in current browsers), and nothing may frame it.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def relative_path(scope: Scope) -> str:
    """The request path below the app's mount point (Starlette keeps the full path, and the mount in
    root_path)."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class SecurityHeadersMiddleware:
    """Adds SECURITY_HEADERS to every HTTP response (a header the app set itself is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UnlessSessionless:
    """Runs a middleware (NiceGUI's session and request-tracking middleware) except for sessionless paths,
    which go straight to the app: no session is read, created or stored, and no cookie is set."""

    def __init__(
        self, app: ASGIApp, factory: Callable[[ASGIApp], ASGIApp], sessionless: tuple[str, ...]
    ) -> None:
        self.app = app
        self.wrapped = factory(app)
        self.sessionless = sessionless

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and relative_path(scope).startswith(self.sessionless):
            await self.app(scope, receive, send)
        else:
            await self.wrapped(scope, receive, send)


def harden(nicegui_app: Any, sessionless: tuple[str, ...]) -> None:
    """Wrap NiceGUI's session middleware (already added by `ui.run_with`) so `sessionless` path prefixes
    skip it, and add the security headers outermost. Before the app serves its first request."""
    from nicegui.storage import RequestTrackingMiddleware
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware

    def wrap(middleware: Middleware) -> Middleware:
        cls: Any = middleware.cls
        if cls not in (SessionMiddleware, RequestTrackingMiddleware):
            return middleware
        factory = partial(cls, *middleware.args, **middleware.kwargs)
        return Middleware(UnlessSessionless, factory=factory, sessionless=sessionless)

    replace_added_middleware(nicegui_app, [wrap(middleware) for middleware in added_middleware(nicegui_app)])
    nicegui_app.add_middleware(SecurityHeadersMiddleware)
