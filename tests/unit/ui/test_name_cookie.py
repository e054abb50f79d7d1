"""The name cookie has the session cookie's flags: SameSite=Lax always, Secure when the session cookie is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from nicegui.client import Client

from app.config import Settings, load_settings
from app.store.migrate import upgrade
from app.ui.chat_page import NAME_COOKIE, name_cookie_script
from tests.support.users import NewUser, join, until

SETS_THE_COOKIE = re.compile(rf"document\.cookie = '{NAME_COOKIE}=.*", re.DOTALL)


@pytest.fixture(params=["dev", "prod"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The chat in dev (session cookie not Secure) and in prod (Secure), as CHAT_ENV sets them."""
    monkeypatch.delenv("CHAT_COOKIE_SECURE", raising=False)
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'chat.db'}",
        rate_limit=0,
        data_dir=tmp_path,
        chat_env=request.param,
        storage_secret="s" * 32,
    )
    upgrade(settings.sync_url)
    return settings


@pytest.fixture
def cookie_scripts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The JavaScript that sets the name cookie, as pages send it to their browsers."""
    seen: list[str] = []
    run_javascript = Client.run_javascript

    def noting(self: Client, code: str, *args: Any, **kwargs: Any) -> Any:
        if SETS_THE_COOKIE.fullmatch(code):
            seen.append(code)
        return run_javascript(self, code, *args, **kwargs)

    monkeypatch.setattr(Client, "run_javascript", noting)
    return seen


async def test_the_page_sets_the_name_cookie_with_the_session_cookies_flags(
    new_user: NewUser, settings: Settings, cookie_scripts: list[str]
) -> None:
    await join(new_user(), "Ann")
    await until(lambda: bool(cookie_scripts))
    [script] = cookie_scripts
    assert script == name_cookie_script("Ann", secure=settings.cookie_secure)
    assert "; samesite=lax" in script
    assert ("; secure" in script) is settings.cookie_secure is settings.is_prod


@pytest.mark.parametrize("secure", [False, True])
def test_name_cookie_flags(secure: bool) -> None:
    script = name_cookie_script("Ann", secure=secure)
    flags = script.rpartition("location.pathname + '")[2]
    assert flags == f"; max-age={365 * 24 * 3600}; samesite=lax{'; secure' if secure else ''}'"
