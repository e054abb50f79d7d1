// Listening to this tab's socket.io connection, shared by the components (each lists this file in its
// `dependencies`, so NiceGUI puts it in the page's import map as "socket_events").
// NiceGUI makes the socket (window.socket) in its root component's mounted(), which runs after the
// components' own: one that listens from mounted() finds none yet, so the helpers try again every WAIT_MS.
const WAIT_MS = 20;

// `handler` is called for each `event` the server sends this tab, from now on.
export function onSocket(event, handler) {
  if (window.socket) window.socket.on(event, handler);
  else setTimeout(() => onSocket(event, handler), WAIT_MS);
}

// `handler` is called each time the socket connects or reconnects, and at once if it is connected now.
export function onConnected(handler) {
  if (!window.socket) {
    setTimeout(() => onConnected(handler), WAIT_MS);
    return;
  }
  window.socket.on("connect", handler);
  if (window.socket.connected) handler();
}

// Stops what onSocket(event, handler) started (nothing if there is no socket).
export function offSocket(event, handler) {
  window.socket?.off(event, handler);
}
