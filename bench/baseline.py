"""The textbook NiceGUI chat, as NiceGUI's own example writes it: the benchmark's baseline.

One module-level list shared by every tab and one `@ui.refreshable` that re-renders the whole history
for every tab on every message. Run: `python bench/baseline.py PORT`.
"""

import sys
from datetime import datetime

from nicegui import ui

messages: list[tuple[str, str, str]] = []


@ui.refreshable
def chat_messages() -> None:
    for author, text, stamp in messages:
        ui.chat_message(text=text, name=author, stamp=stamp)


@ui.page("/")
def index() -> None:
    def send() -> None:
        if len((text.value or "").strip()) < 2 or not (name.value or "").strip():
            return
        messages.append((name.value, text.value, datetime.now().strftime("%X")))
        text.value = ""
        chat_messages.refresh()

    with ui.column().classes("w-full items-stretch"):
        chat_messages()
    name = ui.input("Name")
    text = ui.input("Message").on("keydown.enter", send)


if __name__ in {"__main__", "__mp_main__"}:
    ui.run(host="127.0.0.1", port=int(sys.argv[1]), reload=False, show=False, reconnect_timeout=3.0)
