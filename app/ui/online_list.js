// The online list: distinct names, shared by every tab through one "chat:presence" frame.
// Lists come two ways (the room frame, and the server's answer to this tab when it joins), so each
// carries the presence version and an older one never replaces a newer one.
// On a wide screen it is a side column with a heading; on a phone it is a "N online" button in the
// header that opens the names as a drop-down. Each name is its own bidi isolate (<bdi dir="auto">).
import { hue, initial } from "avatar";
import { offSocket, onSocket } from "socket_events";

const WIDE = "(min-width: 768px)";

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
    const media = window.matchMedia(WIDE);
    return {
      names: this.state.names.slice(),
      version: this.state.version,
      open: false,
      media, // the wide-screen query, heard while mounted
      wide: media.matches,
    };
  },
  mounted() {
    // methods are bound to the component once, so each is the same function to add and to remove
    onSocket("chat:presence", this.setUsers);
    this.media.addEventListener("change", this.onMedia);
    document.addEventListener("click", this.onOutside);
    document.addEventListener("keydown", this.onEscape);
  },
  unmounted() {
    offSocket("chat:presence", this.setUsers);
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
    onMedia() {
      this.wide = this.media.matches;
    },
    onOutside(event) {
      if (this.open && !this.$el.contains(event.target)) this.open = false;
    },
    onEscape(event) {
      if (this.open && event.key === "Escape") this.open = false;
    },
    hue,
    initial,
  },
};
