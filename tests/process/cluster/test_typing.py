""" "is typing" crosses instances on the bus (NOTIFY alone): shown on the other instance, gone when the
typist stops or sends, and never a row in the database."""

from __future__ import annotations

import psycopg

from tests.support.server import StartServer
from tests.support.simtab import SimTab


async def named(url: str, name: str) -> SimTab:
    tab = await SimTab(url).open()
    await tab.set_name(name)
    await tab.wait_for(lambda: len(tab.name_answers) == 1, f"{name}'s name answered")
    return tab


async def test_typing_on_one_instance_shows_on_the_other(
    start_instance: StartServer, postgres_url: str
) -> None:
    a, b = start_instance(), start_instance()
    ann, bob = await named(a.url, "Ann"), await named(b.url, "Bob")
    try:
        await ann.typing_signal(True)
        await bob.wait_for(lambda: bob.typing == ["Ann"], "Ann typing, on the other instance")
        await bob.typing_signal(True)
        await ann.wait_for(lambda: ann.typing == ["Ann", "Bob"], "Bob typing, back on Ann's instance")
        await ann.typing_signal(False)
        await bob.wait_for(lambda: bob.typing == ["Bob"], "Ann stopped")
        sent = await bob.send("Bob", "done typing")  # a send stops the sender's line
        await ann.wait_for(lambda: ann.typing == [], "Bob's line gone with his send")
        await bob.wait_for(lambda: sent in bob.answers, "the send answered")
        with psycopg.connect(postgres_url) as connection:
            count = connection.execute("SELECT count(*) FROM message").fetchone()
        assert count == (1,)  # the message; typing wrote nothing
    finally:
        await ann.close()
        await bob.close()
