"""The real-time transport under the pages: the fan-out of room frames, the socket event guard, the
bound on what waits to be sent to each tab, and the socket lane that hands websockets to engine.io."""
