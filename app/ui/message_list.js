// The message list of one tab. New messages arrive as one socket.io frame shared by every tab
// ("chat:messages"); this component merges them by id, keeps at most `limit`, and scrolls to the
// newest unless the reader has scrolled up (then a "new messages" button offers the jump).
// Each time the socket (re)connects the component tells the server the newest id it shows ("sync");
// only then is the tab put in the room, and the server sends everything stored after that id.
// The id is also kept in sessionStorage: after a reload (the server restarted, or the tab was offline
// too long) the first sync asks for what was missed since the page before ("resume").
// Each name and text is its own bidi isolate (dir="auto", <bdi>): right-to-left text, or a direction
// override inside it, takes its direction from its own first strong character and cannot reorder the
// text around it.
// Every message shown for the first time is told to attention.js ("chat:arrived" on window), which answers
// where the "New messages" divider goes ("chat:unread-from").
const STICK_PX = 48;
const GROUP_MS = 5 * 60 * 1000;
const LAST_ID_KEY = "chat:lastId";

function onSocket(event, handler) {
  if (window.socket) window.socket.on(event, handler);
  else setTimeout(() => onSocket(event, handler), 20);
}

function onConnected(handler) {
  if (!window.socket) {
    setTimeout(() => onConnected(handler), 20);
    return;
  }
  window.socket.on("connect", handler);
  if (window.socket.connected) handler();
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function hue(name) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

export default {
  template: `
    <div class="chat-messages-wrap">
      <div ref="scroller" class="chat-messages" role="log" aria-label="Messages" aria-live="polite"
           tabindex="0" @scroll.passive="onScroll">
        <div v-if="!items.length" class="chat-empty">No messages yet. Say hello!</div>
        <template v-for="(m, i) in items" :key="m.id">
          <div v-if="startsDay(i)" class="chat-day" role="separator"><span>{{ dayLabel(m.at) }}</span></div>
          <div v-if="i === unreadIndex" class="chat-unread" role="separator" aria-label="New messages">
            <span>New messages</span></div>
          <article class="chat-message" :data-id="m.id"
                   :class="{ 'chat-own': m.author === me, 'chat-cont': isContinuation(i) }">
            <div class="chat-avatar" :style="avatarStyle(m.author)" aria-hidden="true">
              <template v-if="!isContinuation(i)">{{ initial(m.author) }}</template>
            </div>
            <div class="chat-bubble">
              <bdi v-if="!isContinuation(i)" class="chat-author" dir="auto" :style="authorStyle(m.author)">{{ m.author }}</bdi>
              <div class="chat-text" dir="auto">{{ m.text }}</div>
              <time class="chat-time" :datetime="m.at" :title="fullTime(m.at)">{{ shortTime(m.at) }}</time>
            </div>
          </article>
        </template>
      </div>
      <button v-if="unseen > 0" type="button" class="chat-jump" @click="scrollToNewest">
        {{ unseen }} new message{{ unseen === 1 ? '' : 's' }} <span aria-hidden="true">↓</span>
      </button>
    </div>`,
  props: {
    messages: { type: Array, default: () => [] },
    limit: { type: Number, default: 200 },
  },
  data() {
    return { items: this.messages.slice(-this.limit), me: null, unseen: 0, atBottom: true, unreadFrom: null };
  },
  computed: {
    unreadIndex() {
      // the divider of attention.js: before the first message shown from that id on
      return this.unreadFrom === null ? -1 : this.items.findIndex((m) => m.id >= this.unreadFrom);
    },
  },
  mounted() {
    this.handler = (batch) => this.add(batch);
    onSocket("chat:messages", this.handler);
    this.onUnreadFrom = (event) => (this.unreadFrom = event.detail?.id ?? null);
    window.addEventListener("chat:unread-from", this.onUnreadFrom);
    this.$nextTick(() => this.scrollToNewest());
    const seen = Number(sessionStorage.getItem(LAST_ID_KEY) || 0);
    this.resumeFrom = seen > 0 && (!this.items.length || seen < this.items[0].id) ? seen : null;
    if (this.resumeFrom === null) this.rememberLastId(); // when resuming, keep the old id until caught up
    onConnected(() => this.sync());
  },
  unmounted() {
    window.socket?.off("chat:messages", this.handler);
    window.removeEventListener("chat:unread-from", this.onUnreadFrom);
  },
  methods: {
    add(batch) {
      if (!batch || !batch.length) return;
      const known = new Set(this.items.map((m) => m.id));
      const fresh = batch.filter((m) => !known.has(m.id));
      if (!fresh.length) return;
      const last = this.lastId();
      let merged = this.items.concat(fresh);
      if (fresh.some((m) => m.id < last)) merged.sort((a, b) => a.id - b.id);
      if (merged.length > this.limit) merged = merged.slice(merged.length - this.limit);
      const stick = this.atBottom || fresh.some((m) => m.author === this.me && m.id > last);
      this.items = merged;
      this.rememberLastId();
      window.dispatchEvent(new CustomEvent("chat:arrived", { detail: { messages: fresh, me: this.me } }));
      if (stick) this.$nextTick(() => this.scrollToNewest());
      else this.unseen += fresh.length;
    },
    sync() {
      if (this.resumeFrom !== null) this.$emit("sync", { last_id: this.resumeFrom, resume: true });
      else this.$emit("sync", { last_id: this.lastId(), resume: false });
      this.resumeFrom = null;
    },
    lastId() {
      return this.items.length ? this.items[this.items.length - 1].id : 0;
    },
    rememberLastId() {
      if (this.items.length) sessionStorage.setItem(LAST_ID_KEY, String(this.lastId()));
    },
    setMe(name) {
      this.me = name;
    },
    startsDay(i) {
      return i === 0 || new Date(this.items[i - 1].at).toDateString() !== new Date(this.items[i].at).toDateString();
    },
    isContinuation(i) {
      if (i === 0 || this.startsDay(i)) return false;
      const a = this.items[i - 1], b = this.items[i];
      return a.author === b.author && new Date(b.at) - new Date(a.at) < GROUP_MS;
    },
    initial(name) {
      return (Array.from(name.trim())[0] || "?").toUpperCase();
    },
    avatarStyle(name) {
      return { "--chat-hue": hue(name) };
    },
    authorStyle(name) {
      return { "--chat-hue": hue(name) };
    },
    shortTime(at) {
      const d = new Date(at);
      return pad(d.getHours()) + ":" + pad(d.getMinutes());
    },
    fullTime(at) {
      return new Date(at).toLocaleString([], { dateStyle: "full", timeStyle: "medium" });
    },
    dayLabel(at) {
      const d = new Date(at), today = new Date();
      const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
      if (d.toDateString() === today.toDateString()) return "Today";
      if (d.toDateString() === yesterday.toDateString()) return "Yesterday";
      return d.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    },
    onScroll() {
      const el = this.$refs.scroller;
      this.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
      if (this.atBottom) this.unseen = 0;
    },
    scrollToNewest() {
      const el = this.$refs.scroller;
      if (el) el.scrollTop = el.scrollHeight;
      this.atBottom = true;
      this.unseen = 0;
    },
  },
};
