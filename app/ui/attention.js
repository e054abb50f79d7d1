// Getting a person's attention while the tab is in the background.
// The message list tells every newly shown message (room frame or reconnect catch-up, each once) with a
// window event "chat:arrived"; while the tab is hidden, the ones from others count up in the title
// ("(3) Chat") and the favicon gets a dot; both return when the tab is visible again.
// The first of them marks where the "New messages" divider goes ("chat:unread-from" back to the list);
// it stays until this tab's name sends a message while the tab is visible, or moves when the tab is
// hidden again and new messages come.
// "Notify me" turns on desktop notifications: permission is asked only on that click, the choice is kept
// in localStorage, and a notification (author as title, the start of the text as body, plain text) is
// shown for a message from someone else while the tab is hidden. One tag: a burst replaces, not stacks.
const CHOICE_KEY = "chat:notify";
const BODY_CHARS = 100;
const TAG = "chat-message";
const DOT = "#e5484d";
const STATES = {
  on: "on",
  off: "off",
  blocked: "blocked by the browser",
  unsupported: "not supported by this browser",
};

function hidden() {
  return document.visibilityState === "hidden";
}

function iconLinks() {
  return Array.from(document.querySelectorAll('link[rel~="icon"]'));
}

function clip(text) {
  const chars = Array.from(text);
  return chars.length > BODY_CHARS ? chars.slice(0, BODY_CHARS).join("") + "…" : text;
}

// A bubble with a dot, for when the page's own icon cannot be drawn.
function fallbackIcon() {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
    '<path d="M6 10h44a6 6 0 0 1 6 6v24a6 6 0 0 1-6 6H22l-12 10V46H6a6 6 0 0 1-6-6V16a6 6 0 0 1 6-6z" fill="#5b6b7f"/>' +
    `<circle cx="48" cy="16" r="14" fill="${DOT}" stroke="#fff" stroke-width="4"/></svg>`;
  return "data:image/svg+xml," + encodeURIComponent(svg);
}

// The page's icon drawn on a canvas with a dot in the top right corner, as a PNG data: URL.
function dottedIcon(href) {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => {
      try {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 64;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(image, 0, 0, 64, 64);
        ctx.beginPath();
        ctx.arc(48, 16, 14, 0, 2 * Math.PI);
        ctx.fillStyle = DOT;
        ctx.fill();
        ctx.lineWidth = 4;
        ctx.strokeStyle = "#fff";
        ctx.stroke();
        resolve(canvas.toDataURL("image/png"));
      } catch {
        resolve(fallbackIcon());
      }
    };
    image.onerror = () => resolve(fallbackIcon());
    image.src = href;
  });
}

function notificationState() {
  if (!("Notification" in window)) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  return Notification.permission === "granted" && localStorage.getItem(CHOICE_KEY) === "on" ? "on" : "off";
}

export default {
  template: `
    <div class="chat-attention">
      <button type="button" class="chat-notify" :aria-pressed="String(state === 'on')"
              aria-describedby="chat-notify-state" @click="toggle">
        <svg class="chat-bell" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 3a5 5 0 0 0-5 5v3.5L5 15v1h14v-1l-2-3.5V8a5 5 0 0 0-5-5zm-2 14a2 2 0 0 0 4 0z"/>
          <path v-if="state !== 'on'" d="M4 3l17 17" class="chat-bell-off"/>
        </svg>
        <span class="chat-notify-label">Notify me</span>
      </button>
      <span id="chat-notify-state" class="chat-notify-state" :data-state="state">{{ stateText }}</span>
    </div>`,
  data() {
    return {
      state: notificationState(),
      unread: 0,
      baseTitle: "", // the page's title without the count, taken when mounted
      icons: [], // the page's icon links, each [link, its own href], taken when mounted
      dotted: null, // the icon with the dot (a data: URL), drawn once when first needed
    };
  },
  computed: {
    stateText() {
      return STATES[this.state];
    },
  },
  mounted() {
    this.baseTitle = document.title;
    this.icons = iconLinks().map((link) => [link, link.href]);
    // methods are bound to the component once, so each is the same function to add and to remove
    window.addEventListener("chat:arrived", this.onArrived);
    document.addEventListener("visibilitychange", this.onVisibility);
  },
  unmounted() {
    window.removeEventListener("chat:arrived", this.onArrived);
    document.removeEventListener("visibilitychange", this.onVisibility);
  },
  methods: {
    onArrived(event) {
      this.arrived(event.detail || {});
    },
    onVisibility() {
      if (hidden()) return;
      this.seen();
      if (this.state !== "unsupported") this.state = notificationState(); // permission changed meanwhile?
    },
    arrived({ messages, me }) {
      if (!Array.isArray(messages) || !messages.length) return;
      if (!hidden()) {
        if (me && messages.some((m) => m.author === me)) this.markFrom(null); // answered: read
        return;
      }
      const others = messages.filter((m) => m.author !== me);
      if (!others.length) return;
      if (this.unread === 0) this.markFrom(Math.min(...others.map((m) => m.id)));
      this.unread += others.length;
      document.title = `(${this.unread}) ${this.baseTitle}`;
      this.showDot();
      if (this.state === "on") this.notify(others[others.length - 1]);
    },
    seen() {
      if (this.unread === 0) return;
      this.unread = 0;
      document.title = this.baseTitle;
      for (const [link, href] of this.icons) link.href = href;
    },
    markFrom(id) {
      window.dispatchEvent(new CustomEvent("chat:unread-from", { detail: { id } }));
    },
    async showDot() {
      if (!this.icons.length) {
        const link = document.createElement("link");
        link.rel = "icon";
        document.head.appendChild(link);
        this.icons.push([link, "data:,"]);
      }
      this.dotted = this.dotted || (await dottedIcon(this.icons[0][1]));
      if (this.unread > 0) for (const [link] of this.icons) link.href = this.dotted;
    },
    notify(message) {
      try {
        const note = new Notification(message.author, { body: clip(message.text), tag: TAG });
        note.onclick = () => {
          window.focus();
          note.close();
        };
      } catch (error) {
        console.warn("chat: could not show a notification", error);
      }
    },
    async toggle() {
      if (!("Notification" in window)) {
        this.state = "unsupported";
        return;
      }
      if (this.state === "on") {
        localStorage.setItem(CHOICE_KEY, "off");
        this.state = "off";
        return;
      }
      let permission = Notification.permission;
      if (permission === "default") {
        try {
          permission = await Notification.requestPermission();
        } catch {
          permission = Notification.permission;
        }
      }
      if (permission === "granted") localStorage.setItem(CHOICE_KEY, "on");
      this.state = permission === "granted" ? "on" : permission === "denied" ? "blocked" : "off";
    },
  },
};
