// The message list of one tab. New messages arrive as one socket.io frame shared by every tab
// ("chat:messages"); this component merges them by id, keeps at most `limit`, and scrolls to the
// newest unless the reader has scrolled up.
const STICK_PX = 48;

function onSocket(event, handler) {
  if (window.socket) window.socket.on(event, handler);
  else setTimeout(() => onSocket(event, handler), 20);
}

export default {
  template: `
    <div class="chat-messages-wrap">
      <div ref="scroller" class="chat-messages" role="log" aria-label="Messages" aria-live="polite"
           tabindex="0" @scroll.passive="onScroll">
        <div v-if="!items.length" class="chat-empty">No messages yet. Say hello!</div>
        <div v-for="(m, i) in items" :key="m.id" class="chat-message"
             :class="{ 'chat-own': m.author === me, 'chat-cont': isContinuation(i) }" :data-id="m.id">
          <div v-if="!isContinuation(i)" class="chat-meta">
            <span class="chat-author">{{ m.author }}</span>
            <time class="chat-time" :datetime="m.at" :title="fullTime(m.at)">{{ shortTime(m.at) }}</time>
          </div>
          <div class="chat-text" :title="fullTime(m.at)">{{ m.text }}</div>
        </div>
      </div>
      <button v-if="unseen > 0" type="button" class="chat-jump" @click="jumpToNewest">
        {{ unseen }} new message{{ unseen === 1 ? '' : 's' }} ↓
      </button>
    </div>`,
  props: {
    messages: { type: Array, default: () => [] },
    limit: { type: Number, default: 200 },
  },
  data() {
    return { items: this.messages.slice(-this.limit), me: null, unseen: 0, atBottom: true };
  },
  mounted() {
    this.handler = (batch) => this.add(batch);
    onSocket("chat:messages", this.handler);
    this.$nextTick(() => this.scrollToNewest());
  },
  unmounted() {
    window.socket?.off("chat:messages", this.handler);
  },
  methods: {
    add(batch) {
      if (!batch || !batch.length) return;
      const known = new Set(this.items.map((m) => m.id));
      const fresh = batch.filter((m) => !known.has(m.id));
      if (!fresh.length) return;
      const last = this.items.length ? this.items[this.items.length - 1].id : 0;
      let merged = this.items.concat(fresh);
      if (fresh.some((m) => m.id < last)) merged.sort((a, b) => a.id - b.id);
      if (merged.length > this.limit) merged = merged.slice(merged.length - this.limit);
      const stick = this.atBottom;
      this.items = merged;
      if (stick) this.$nextTick(() => this.scrollToNewest());
      else this.unseen += fresh.length;
    },
    lastId() {
      return this.items.length ? this.items[this.items.length - 1].id : 0;
    },
    setMe(name) {
      this.me = name;
    },
    isContinuation(i) {
      if (i === 0) return false;
      const a = this.items[i - 1], b = this.items[i];
      return a.author === b.author && new Date(b.at) - new Date(a.at) < 5 * 60 * 1000;
    },
    shortTime(at) {
      return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    },
    fullTime(at) {
      return new Date(at).toLocaleString();
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
    jumpToNewest() {
      this.scrollToNewest();
    },
  },
};
