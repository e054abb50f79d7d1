"""The "is typing" line in the page (NiceGUI's simulated users): the others see it, the typist does not;
a send or a stop ends it; a tab without a name cannot signal."""

from __future__ import annotations

from nicegui.testing import User

from app.ui.typing_line import TypingLine
from tests.support.users import NewUser, emit, join, send, until


def line(user: User) -> list[object]:
    [element] = user.find(marker="typing").elements
    assert isinstance(element, TypingLine)
    return element._displayed_contents(only_visible=True)


async def test_the_others_see_the_line_until_the_send(new_user: NewUser) -> None:
    ann, bob, nobody = new_user(), new_user(), new_user()
    await join(ann, "Ann")
    await join(bob, "Bob")
    await nobody.open("/")
    emit(nobody, "typing", {"typing": True})  # no name: nothing to show
    emit(ann, "typing", {"typing": True})
    await bob.should_see("Ann is typing…")
    assert line(ann) == []  # Ann's own tab leaves Ann out
    emit(bob, "typing", {"typing": True})
    await nobody.should_see("Ann and Bob are typing…")
    await send(ann, "done")
    await until(lambda: line(bob) == [] and line(nobody) == ["Bob is typing…"])
    emit(bob, "typing", {"typing": False})
    await until(lambda: line(nobody) == [])
