// The "is typing" line under the messages: the room's typists ("chat:typing", one frame for every tab)
// but this tab's own name. Its height is reserved, so the layout never moves when it appears; it is a
// polite live region that changes only when the wording does (a keep-alive changes nothing).
import { offSocket, onSocket } from "socket_events";

export default {
  template: `
    <div class="chat-typing" aria-live="polite" aria-atomic="true">
      <span v-if="parts.length" class="chat-typing-text"><span class="chat-typing-dots" aria-hidden="true"><span></span><span></span><span></span></span><template v-for="(part, i) in parts" :key="i"><bdi v-if="part.name" dir="auto">{{ part.text }}</bdi><template v-else>{{ part.text }}</template></template></span>
    </div>`,
  props: {
    texts: { type: Object, required: true },
    typing: { type: Object, default: () => ({ names: [], version: 0 }) },
  },
  data() {
    return { names: this.typing.names.slice(), version: this.typing.version, viewer: null };
  },
  computed: {
    // the wording of app/chat/typists.py (passed in): text and names, each name its own bidi isolate
    parts() {
      const others = this.names.filter((name) => name !== this.viewer);
      if (others.length === 0) return [];
      if (others.length > 2) return [{ text: this.texts.several, name: false }];
      const pieces = (others.length === 1 ? this.texts.one : this.texts.two).split("{}");
      return pieces.flatMap((text, i) => [
        ...(text ? [{ text, name: false }] : []),
        ...(i < others.length ? [{ text: others[i], name: true }] : []),
      ]);
    },
  },
  mounted() {
    onSocket("chat:typing", this.setTypists); // a method: bound once, the same function to remove
  },
  unmounted() {
    offSocket("chat:typing", this.setTypists);
  },
  methods: {
    setTypists(state) {
      if (!state || !Array.isArray(state.names) || state.version < this.version) return;
      this.names = state.names;
      this.version = state.version;
    },
    setViewer(name) {
      this.viewer = name;
    },
  },
};
