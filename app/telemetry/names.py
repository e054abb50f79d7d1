"""Span, metric and attribute names: part of the public interface (dashboards depend on them)."""

from __future__ import annotations

from typing import Final

# Spans
SEND_MESSAGE: Final = "chat.send_message"
SET_NAME: Final = "chat.set_name"
CONNECT: Final = "chat.connect"
DISCONNECT: Final = "chat.disconnect"
BROADCAST: Final = "chat.broadcast"
TYPING: Final = "chat.typing"
LOAD_HISTORY: Final = "chat.load_history"
HISTORY_PAGE: Final = "chat.history.page"

# Metrics
MESSAGES_SENT: Final = "chat.messages.sent"
MESSAGE_LENGTH: Final = "chat.message.length"
VALIDATION_ERRORS: Final = "chat.validation.errors"
USERS_ONLINE: Final = "chat.users.online"
TABS_CONNECTED: Final = "chat.tabs.connected"
PRESENCE_CHANGES: Final = "chat.presence.changes"
BROADCAST_DURATION: Final = "chat.broadcast.duration"
USERS_ONLINE_CLUSTER: Final = "chat.users.online.cluster"
BUS_NOTIFICATIONS: Final = "chat.bus.notifications"
BUS_LAG: Final = "chat.bus.lag"
BUS_RECONNECTS: Final = "chat.bus.reconnects"
EVENT_LOOP_LAG: Final = "chat.event_loop.lag"
GC_PAUSE: Final = "chat.gc.pause"
GC_LONG_PAUSES: Final = "chat.gc.long_pauses"
HISTORY_PAGES: Final = "chat.history.pages"

# Attributes
USER_TYPE: Final = "chat.user.type"
GUEST: Final = "guest"
MESSAGE_LENGTH_ATTR: Final = "chat.message.length"
VALIDATION_ERROR: Final = "chat.validation.error"
FIELD: Final = "chat.field"
REASON: Final = "chat.reason"
CHANGE: Final = "chat.change"
GC_GENERATION: Final = "chat.gc.generation"
TABS_REACHED: Final = "chat.broadcast.tabs"
MESSAGES_IN_BATCH: Final = "chat.broadcast.messages"
HISTORY_BEFORE: Final = "chat.history.before"
HISTORY_AFTER: Final = "chat.history.after"
HISTORY_COUNT: Final = "chat.history.count"
HISTORY_DIRECTION: Final = "chat.history.direction"
