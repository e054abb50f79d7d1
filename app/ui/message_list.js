// The message list of one tab. New messages arrive as one socket.io frame shared by every tab
// ("chat:messages"); this component merges them by id, keeps at most `limit`, and scrolls to the
// newest unless the reader has scrolled up (then a "new messages" button offers the jump).
// Each time the socket (re)connects the component tells the server the newest id it shows ("sync");
// only then is the tab put in the room, and the server sends everything stored after that id.
// The id is also kept in sessionStorage: after a reload (the server restarted, or the tab was offline
// too long) the first sync asks for what was missed since the page before ("resume").
// Scrolling to the top asks for the page before the first shown message ("page" {before}); it is put above,
// and the message that was at the top stays where it was on screen. More than `limit` messages: the ones
// furthest below are dropped, and the list no longer ends at the newest ("detached"): new messages are
// then kept aside and counted on the "new messages" button; scrolling to the bottom pages down
// ({after}), the button fetches the newest page ({before: 2^53-1}).
// Every message shown for the first time is told to attention.js ("chat:arrived" on window), which answers
// where the "New messages" divider goes ("chat:unread-from"); so is one kept aside while detached.
// Each name and text is its own bidi isolate (dir="auto", <bdi>): right-to-left text, or a direction
// override inside it, takes its direction from its own first strong character and cannot reorder the
// text around it.
import { hue, initial } from "avatar";
import { offSocket, onConnected, onSocket } from "socket_events";

const STICK_PX = 48;
const GROUP_MS = 5 * 60 * 1000;
const LAST_ID_KEY = "chat:lastId";
const EDGE_PX = 8; // this close to the top (or, detached, the bottom) loads the next page
const RETRY_MS = 1000; // a refused or failed page is asked for again after this, if still at the edge

function pad(n) {
  return String(n).padStart(2, "0");
}

export default {
  template: `
    <div class="chat-messages-wrap">
      <div ref="scroller" class="chat-messages" role="log" aria-label="Messages" aria-live="polite"
           tabindex="0" @scroll.passive="onScroll" @wheel.passive="onWheel" @keydown="onKey">
        <div v-if="!items.length" class="chat-empty">No messages yet. Say hello!</div>
        <div v-else-if="atStart" class="chat-start">Beginning of the chat</div>
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
      <div v-if="loading" class="chat-loading"
           :class="loading === 'older' ? 'chat-loading-top' : 'chat-loading-bottom'">Loading…</div>
      <button v-if="unseen > 0" type="button" class="chat-jump" @click="scrollToNewest">
        {{ unseen }} new message{{ unseen === 1 ? '' : 's' }} <span aria-hidden="true">↓</span>
      </button>
    </div>`,
  props: {
    messages: { type: Array, default: () => [] },
    limit: { type: Number, default: 200 },
    start: { type: Boolean, default: false },
  },
  data() {
    const items = this.messages.slice(-this.limit);
    return {
      items,
      me: null,
      unseen: 0,
      atBottom: true,
      atStart: this.start, // the first shown message is the first of the chat
      loading: null, // "older" | "newer" | "newest" while a page request is answered
      requested: null, // the open page request ({before} or {after}), to match its answer
      newestNext: false, // a jump to the newest waits for the open page request
      retryTimer: null, // asks for a refused or failed page again
      detached: false, // the list does not end at the newest message
      pending: [], // detached: new messages kept aside (at most `limit`), shown when the list is back
      newest: items.length ? items[items.length - 1].id : 0, // the newest id this tab knows of
      unreadFrom: null,
      resumeFrom: null, // after a reload: the newest id the page before showed, for the first sync
    };
  },
  computed: {
    unreadIndex() {
      // the divider of attention.js: before the first message shown from that id on
      return this.unreadFrom === null ? -1 : this.items.findIndex((m) => m.id >= this.unreadFrom);
    },
  },
  mounted() {
    // methods are bound to the component once, so each is the same function to add and to remove
    onSocket("chat:messages", this.add);
    window.addEventListener("chat:unread-from", this.onUnreadFrom);
    onSocket("chat:deleted", this.drop);
    this.$nextTick(() => this.scrollToNewest());
    // the page before this one (a reload) saw up to `seen`, 0 when it showed none; this page's history
    // starting later means messages in between: ask for them (a tab that has not yet been given its own
    // first message, say, when the server went down, has seen 0)
    const stored = sessionStorage.getItem(LAST_ID_KEY);
    const seen = stored === null ? NaN : Number(stored);
    this.resumeFrom = Number.isSafeInteger(seen) && seen >= 0 && this.items.length && seen < this.items[0].id ? seen : null;
    if (this.resumeFrom === null) this.rememberLastId(); // when resuming, keep the old id until caught up
    onConnected(() => this.sync());
  },
  unmounted() {
    offSocket("chat:messages", this.add);
    window.removeEventListener("chat:unread-from", this.onUnreadFrom);
    offSocket("chat:deleted", this.drop);
  },
  methods: {
    add(batch) {
      if (!batch || !batch.length) return;
      if (this.detached) return this.keepAside(batch);
      const known = new Set(this.items.map((m) => m.id));
      const fresh = batch.filter((m) => !known.has(m.id));
      if (!fresh.length) return;
      const last = this.lastId();
      let merged = this.items.concat(fresh);
      if (fresh.some((m) => m.id < last)) merged.sort((a, b) => a.id - b.id);
      if (merged.length > this.limit) {
        merged = merged.slice(merged.length - this.limit);
        this.atStart = false;
      }
      const stick = this.atBottom || fresh.some((m) => m.author === this.me && m.id > last);
      this.items = merged;
      this.newest = Math.max(this.newest, merged[merged.length - 1].id);
      this.rememberLastId();
      window.dispatchEvent(new CustomEvent("chat:arrived", { detail: { messages: fresh, me: this.me } }));
      if (stick) this.$nextTick(() => this.scrollToNewest());
      else this.unseen += fresh.length;
    },
    keepAside(batch) {
      const known = new Set(this.pending.map((m) => m.id));
      const fresh = batch.filter((m) => m.id > this.newest && !known.has(m.id));
      if (!fresh.length) return;
      this.pending = this.pending.concat(fresh).sort((a, b) => a.id - b.id).slice(-this.limit);
      this.newest = this.pending[this.pending.length - 1].id;
      this.rememberLastId();
      window.dispatchEvent(new CustomEvent("chat:arrived", { detail: { messages: fresh, me: this.me } }));
      if (fresh.some((m) => m.author === this.me)) this.scrollToNewest();
      else this.unseen += fresh.length;
    },
    loadOlder() {
      if (this.loading || this.atStart || !this.items.length) return;
      this.requestPage("older", { before: this.items[0].id });
    },
    loadNewer() {
      if (this.loading || !this.detached || !this.items.length) return;
      this.requestPage("newer", { after: this.items[this.items.length - 1].id });
    },
    requestPage(kind, request) {
      this.loading = kind;
      this.requested = request;
      this.$emit("page", request);
    },
    paged(answer) {
      const request = this.requested;
      const kind = this.loading;
      if (!kind || !request || answer.before !== request.before || answer.after !== request.after) return;
      this.loading = null;
      this.requested = null;
      if (answer.retry) {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.onScroll(), RETRY_MS);
        return;
      }
      if (kind === "older") this.putOlder(answer.messages, answer.complete);
      else if (kind === "newer") this.putNewer(answer.messages, answer.complete);
      else this.putNewest(answer.messages, answer.complete);
      if (this.newestNext) {
        this.newestNext = false;
        this.$nextTick(() => this.scrollToNewest());
      }
    },
    putOlder(page, complete) {
      const first = this.items.length ? this.items[0].id : Infinity;
      const older = page.filter((m) => m.id < first);
      const anchor = this.anchor(this.items[0]);
      let merged = older.concat(this.items);
      if (merged.length > this.limit) {
        merged = merged.slice(0, this.limit); // the messages furthest below the reader go
        this.detached = true;
      }
      this.atStart = complete;
      this.items = merged;
      this.$nextTick(() => this.keep(anchor));
    },
    putNewer(page, complete) {
      const last = this.items.length ? this.items[this.items.length - 1].id : 0;
      let merged = this.items.concat(page.filter((m) => m.id > last));
      if (complete) merged = this.joinPending(merged);
      const anchor = this.anchor(this.items[this.items.length - 1]);
      if (merged.length > this.limit) {
        merged = merged.slice(merged.length - this.limit); // the messages furthest above go
        this.atStart = false;
      }
      this.items = merged;
      this.$nextTick(() => this.keep(anchor));
    },
    putNewest(page, complete) {
      const merged = this.joinPending(page.slice());
      this.items = merged.slice(-this.limit);
      this.atStart = complete && merged.length <= this.limit;
      this.$nextTick(() => this.scrollToNewest());
    },
    joinPending(merged) {
      // back at the newest: what arrived meanwhile joins the list
      const last = merged.length ? merged[merged.length - 1].id : 0;
      const joined = merged.concat(this.pending.filter((m) => m.id > last));
      this.pending = [];
      this.detached = false;
      this.unseen = 0;
      if (joined.length) this.newest = Math.max(this.newest, joined[joined.length - 1].id);
      this.rememberLastId();
      return joined;
    },
    anchor(message) {
      // the message the reader has next to the page's edge: its text must not move on screen
      const text = message && this.$refs.scroller?.querySelector(`[data-id="${message.id}"] .chat-text`);
      return text ? { id: message.id, top: text.getBoundingClientRect().top } : null;
    },
    keep(anchor) {
      const el = this.$refs.scroller;
      const text = anchor && el?.querySelector(`[data-id="${anchor.id}"] .chat-text`);
      if (text) el.scrollTop += text.getBoundingClientRect().top - anchor.top;
      this.fillIfShort();
    },
    fillIfShort() {
      // after a page: a list that still does not fill its box has no scrollbar to go on with
      const el = this.$refs.scroller;
      if (el && el.scrollHeight <= el.clientHeight + EDGE_PX) this.loadOlder();
    },
    onWheel(event) {
      // a list too short to scroll sends no scroll events: the wheel (or a key) at the top asks instead
      if (event.deltaY < 0 && this.$refs.scroller.scrollTop <= EDGE_PX) this.loadOlder();
    },
    onKey(event) {
      if (["ArrowUp", "PageUp", "Home"].includes(event.key) && this.$refs.scroller.scrollTop <= EDGE_PX) {
        this.loadOlder();
      }
    },
    // Deleted messages (by an operator: `ids`; by retention: every id up to `through`) leave the list;
    // grouping and day separators are computed from the list, so they follow.
    drop(deleted) {
      if (!deleted) return;
      const ids = new Set(Array.isArray(deleted.ids) ? deleted.ids : []);
      const through = Number(deleted.through) || 0;
      const kept = this.items.filter((m) => !ids.has(m.id) && m.id > through);
      if (kept.length !== this.items.length) this.items = kept;
      this.pending = this.pending.filter((m) => !ids.has(m.id) && m.id > through);
    },
    sync() {
      this.loading = null; // an answer the old connection was to bring is not coming
      this.requested = null;
      if (this.resumeFrom !== null) this.$emit("sync", { last_id: this.resumeFrom, resume: true });
      else this.$emit("sync", { last_id: this.lastId(), resume: false });
      this.resumeFrom = null;
    },
    lastId() {
      return Math.max(this.newest, this.items.length ? this.items[this.items.length - 1].id : 0);
    },
    rememberLastId() {
      sessionStorage.setItem(LAST_ID_KEY, String(this.lastId()));
    },
    setMe(name) {
      this.me = name;
    },
    onUnreadFrom(event) {
      this.unreadFrom = event.detail?.id ?? null;
    },
    startsDay(i) {
      return i === 0 || new Date(this.items[i - 1].at).toDateString() !== new Date(this.items[i].at).toDateString();
    },
    isContinuation(i) {
      if (i === 0 || this.startsDay(i)) return false;
      const a = this.items[i - 1], b = this.items[i];
      return a.author === b.author && new Date(b.at) - new Date(a.at) < GROUP_MS;
    },
    initial,
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
      if (this.atBottom && !this.detached) this.unseen = 0;
      if (el.scrollTop <= EDGE_PX) this.loadOlder();
      else if (this.atBottom && el.scrollHeight - el.scrollTop - el.clientHeight <= EDGE_PX) this.loadNewer();
    },
    scrollToNewest() {
      if (this.detached) {
        if (this.loading) this.newestNext = this.loading !== "newest";
        else this.requestPage("newest", { before: Number.MAX_SAFE_INTEGER });
        return;
      }
      const el = this.$refs.scroller;
      if (el) el.scrollTop = el.scrollHeight;
      this.atBottom = true;
      this.unseen = 0;
    },
  },
};
