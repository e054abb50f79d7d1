// The online list: distinct names, shared by every tab through one "chat:presence" frame.
// Lists come two ways (the room frame, and the server's answer to this tab when it joins), so each
// carries the presence version and an older one never replaces a newer one.
// On a wide screen it is a side column with a heading; on a phone it is a "N online" button in the
// header that opens the names as a drop-down. Each name is its own bidi isolate (<bdi dir="auto">).
const WIDE = "(min-width: 768px)";

function onSocket(event, handler) {
  if (window.socket) window.socket.on(event, handler);
  else setTimeout(() => onSocket(event, handler), 20);
}

function hue(name) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

export default {
  template: `
    <section class="chat-online" :class="{ 'chat-online-open': open }" aria-label="Online users">
      <component :is="wide ? 'h2' : 'button'" class="chat-online-toggle" :type="wide ? undefined : 'button'"
                 :aria-expanded="wide ? undefined : String(open)" aria-controls="chat-online-names"
                 @click="toggle">
        <span class="chat-dot" aria-hidden="true"></span>
        <span class="chat-online-count">{{ names.length }} online</span>
        <span v-if="!wide" class="chat-chevron" aria-hidden="true">▾</span>
      </component>
      <ul id="chat-online-names" class="chat-online-names">
        <li v-for="name in names" :key="name" class="chat-online-name">
          <span class="chat-avatar chat-avatar-small" :style="{ '--chat-hue': hue(name) }" aria-hidden="true">{{
            initial(name) }}</span>
          <bdi class="chat-online-label" dir="auto">{{ name }}</bdi>
        </li>
      </ul>
    </section>`,
  props: {
    state: { type: Object, default: () => ({ names: [], version: 0 }) },
  },
  data() {
    return {
      names: this.state.names.slice(),
      version: this.state.version,
      open: false,
      wide: window.matchMedia(WIDE).matches,
    };
  },
  mounted() {
    this.handler = (state) => this.setUsers(state);
    onSocket("chat:presence", this.handler);
    this.media = window.matchMedia(WIDE);
    this.onMedia = () => (this.wide = this.media.matches);
    this.media.addEventListener("change", this.onMedia);
    this.onOutside = (event) => {
      if (this.open && !this.$el.contains(event.target)) this.open = false;
    };
    this.onEscape = (event) => {
      if (this.open && event.key === "Escape") this.open = false;
    };
    document.addEventListener("click", this.onOutside);
    document.addEventListener("keydown", this.onEscape);
  },
  unmounted() {
    window.socket?.off("chat:presence", this.handler);
    this.media.removeEventListener("change", this.onMedia);
    document.removeEventListener("click", this.onOutside);
    document.removeEventListener("keydown", this.onEscape);
  },
  methods: {
    setUsers(state) {
      if (!state || !Array.isArray(state.names) || state.version < this.version) return;
      this.names = state.names;
      this.version = state.version;
    },
    toggle() {
      if (!this.wide) this.open = !this.open;
    },
    hue,
    initial(name) {
      return (Array.from(name.trim())[0] || "?").toUpperCase();
    },
  },
};
