// A person's avatar, the same in the message list and the online list (both list this file in their
// `dependencies`, so NiceGUI puts it in the page's import map as "avatar"): a colour from the name and
// its first character.

// The name's hue (0-359, for the --chat-hue of chat.css): the same name has the same colour everywhere.
export function hue(name) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

// The first character of the name (a whole code point), upper case; "?" for a blank name.
export function initial(name) {
  return (Array.from(name.trim())[0] || "?").toUpperCase();
}
