// The composer around the Name and Message inputs and the Send button (server elements in the slot).
// Everything here runs in the browser, so typing costs the server nothing beyond the input's value:
// - Send is enabled only while the text is valid, the socket is connected and no send is in flight
//   (the button's `:disable` reads the shared reactive `composerState`);
// - the draft lives in sessionStorage, so it survives a reload after a server restart;
// - a send still in flight when the connection drops is reported as not sent, its text kept.
import { reactive } from "vue";

const DRAFT_KEY = "chat:draft";
const UNSENT_KEY = "chat:unsent";

export const composerState = reactive({ canSend: false });
window.chatComposerState = composerState;

function onSocket(event, handler) {
  if (window.socket) window.socket.on(event, handler);
  else setTimeout(() => onSocket(event, handler), 20);
}

function isMessageField(target) {
  return target instanceof Element && target.closest(".chat-message-field") !== null;
}

export default {
  template: `
    <form class="chat-composer" novalidate @submit.prevent
          @input="onInput" @keydown.capture="holdEnter" @keydown="onKeydown" @click="onClick">
      <div v-if="offline" class="chat-banner chat-banner-offline" role="status">
        <span class="chat-spinner" aria-hidden="true"></span> Reconnecting…
      </div>
      <div v-if="unsent" class="chat-banner chat-banner-unsent" role="alert">
        Not sent: the connection dropped before the server got your message. It is still below; press Send to try again.
      </div>
      <fieldset class="chat-fields" :disabled="offline">
        <slot></slot>
      </fieldset>
      <div v-if="text.length >= counterFrom" class="chat-counter" :class="{ 'chat-counter-over': text.length > max }"
           aria-live="polite">{{ text.length }} / {{ max }}</div>
    </form>`,
  props: {
    min: { type: Number, default: 2 },
    max: { type: Number, default: 1000 },
    counterFrom: { type: Number, default: 900 },
  },
  data() {
    return { text: "", offline: false, pending: false, unsent: false, refocus: false };
  },
  computed: {
    valid() {
      const length = this.text.trim().length;
      return length >= this.min && length <= this.max;
    },
    canSend() {
      return this.valid && !this.offline && !this.pending;
    },
  },
  watch: {
    canSend: {
      immediate: true,
      handler(value) {
        composerState.canSend = value;
      },
    },
  },
  mounted() {
    this.restoreDraft();
    onSocket("disconnect", () => this.onDisconnect());
    onSocket("connect", () => this.onConnect());
    onSocket("chat:restarting", () => this.onDisconnect()); // the server is stopping: say so before the socket closes
  },
  methods: {
    messageInput() {
      return this.$el.querySelector(".chat-message-field input, .chat-message-field textarea");
    },
    restoreDraft() {
      const draft = sessionStorage.getItem(DRAFT_KEY) || "";
      const input = this.messageInput();
      if (!input) return;
      if (draft && !input.value) {
        input.value = draft;
        input.dispatchEvent(new Event("input", { bubbles: true })); // Quasar syncs it to the server
      }
      this.text = input.value;
      this.unsent = this.text !== "" && sessionStorage.getItem(UNSENT_KEY) === this.text;
    },
    onInput(event) {
      if (!isMessageField(event.target)) return;
      this.text = event.target.value;
      sessionStorage.setItem(DRAFT_KEY, this.text);
      if (this.unsent) {
        this.unsent = false;
        sessionStorage.removeItem(UNSENT_KEY);
      }
    },
    // Capture phase: an Enter while a send is in flight (or offline) never reaches the input's listener.
    holdEnter(event) {
      if (event.key === "Enter" && isMessageField(event.target) && (this.pending || this.offline)) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    // Bubble phase, after the input's or button's own listener has sent the event to the server
    // (were it set earlier, the re-render would disable the button before its click handler runs).
    onKeydown(event) {
      if (event.key === "Enter" && isMessageField(event.target)) this.pending = true;
    },
    onClick(event) {
      if (event.target instanceof Element && event.target.closest(".chat-send") && this.canSend) this.pending = true;
    },
    onDisconnect() {
      this.offline = true;
      const input = this.messageInput();
      this.refocus = input !== null && document.activeElement === input;
      if (this.pending) {
        this.pending = false;
        this.unsent = true;
        sessionStorage.setItem(UNSENT_KEY, this.text);
      }
    },
    onConnect() {
      this.offline = false;
      if (this.refocus) this.$nextTick(() => this.messageInput()?.focus());
    },
    settle(sent, cleared) {
      this.pending = false;
      if (!sent) return;
      this.unsent = false;
      sessionStorage.removeItem(UNSENT_KEY);
      if (!cleared) return;
      this.text = "";
      sessionStorage.removeItem(DRAFT_KEY);
    },
  },
};
