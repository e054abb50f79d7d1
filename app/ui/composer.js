// The composer: Name, Message and Send. The browser owns the draft; the server only gets sends.
// - A send is one event {client_msg_id, name, text} and gets one answer {client_msg_id, status, ...}.
//   The id is made here when the text is first sent and kept with it (sessionStorage), so a send
//   repeated after a dropped connection is stored once.
// - Sends wait in a queue (`unanswered`) and go one at a time, in order. Send is never disabled for
//   validity: invalid text shows the rule's text under the field (the texts come from app/chat/rules.py).
// - After a reconnect or reload, unanswered sends are reconciled with the database: stored ones are
//   dropped, the rest come back into the field with a "Not sent" banner, to retry with the same id.
// - While the person types in Message (with a valid name), `typing {typing: true}` goes out at most once
//   per TYPING_EVERY_MS (on the first keystroke, then at the end of each window with keystrokes in it),
//   never with the text; `typing {typing: false}` when they pause TYPING_IDLE_MS or clear the field.
//   A send stops it on the server by itself.
import { onConnected, onSocket } from "socket_events";

const DRAFT_KEY = "chat:draft";
const DRAFT_ID_KEY = "chat:draftId";
const UNANSWERED_KEY = "chat:unanswered";
// Until the queue was renamed it was kept under "chat:outbox": a tab open across that upgrade (reloaded by
// the new server) still has its unanswered sends there, so they are read from there once and moved.
const OLD_UNANSWERED_KEY = "chat:outbox";
const UNSENT_KEY = "chat:unsent"; // "1" while the "Not sent" banner shows
const SLOW_MS = 300;
const TYPING_EVERY_MS = 2200; // the server takes one a 2 s (app/chat/typists.py); a margin for the network
const TYPING_IDLE_MS = 3000;

// crypto.randomUUID needs a secure context; getRandomValues works on plain http too
function newId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Python's len(): code points, not UTF-16 units. (The fields' maxlength counts UTF-16 units, 4 per
// allowed character: room for 4-byte characters and for sequences NFC composes, so a text just over the
// limit is shown as too long rather than cut.)
function length(text) {
  return [...text].length;
}

// The rules of app/chat/rules.py, step by step as there: NFC, Python's str.strip(), refused characters,
// (names) runs of spaces made one, then the length in code points. Python's white space (str.isspace)
// is not JS's \s: it adds \x1c-\x1f and \x85 and lacks \ufeff, so it is spelled out here.
const SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TRIM = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
const SPACE_RUN = new RegExp(`[${SPACE}]+`, "g");
const MESSAGE_REFUSED = /(?![\n\t])[\p{Cc}\p{Cs}]/u; // controls but line feed and tab; lone surrogates
const NAME_REFUSED = /[\p{Cc}\p{Cs}\p{Cf}\p{Zl}\p{Zp}]/u; // also format characters and line breaks

function trimmed(text) {
  return text.normalize("NFC").replace(TRIM, "");
}

function loadUnanswered() {
  const old = sessionStorage.getItem(OLD_UNANSWERED_KEY);
  if (old !== null) {
    sessionStorage.removeItem(OLD_UNANSWERED_KEY);
    if (sessionStorage.getItem(UNANSWERED_KEY) === null) sessionStorage.setItem(UNANSWERED_KEY, old);
  }
  try {
    const unanswered = JSON.parse(sessionStorage.getItem(UNANSWERED_KEY) || "[]");
    return Array.isArray(unanswered) ? unanswered : [];
  } catch {
    return [];
  }
}

export default {
  template: `
    <form class="chat-composer" novalidate @submit.prevent>
      <div v-if="offline" class="chat-banner chat-banner-offline" role="status">
        <span class="chat-spinner" aria-hidden="true"></span> Reconnecting…
      </div>
      <div v-if="unsent" class="chat-banner chat-banner-unsent" role="alert">
        Not sent: the connection dropped before the server got your message. It is still below; press Send to try again.
      </div>
      <fieldset class="chat-fields" :disabled="offline">
        <q-input v-model="name" class="chat-name-field" placeholder="Your name" aria-label="Name"
                 :maxlength="rules.nameMax * 4" dir="auto" autocomplete="nickname" outlined dense hide-bottom-space prefix="@"
                 :error="nameError !== null" :error-message="nameError || ''"
                 @update:model-value="onNameInput" @keydown.enter="confirmName" />
        <q-input ref="message" v-model="text" class="chat-message-field" placeholder="Write a message…"
                 aria-label="Message" :maxlength="rules.messageMax * 4" dir="auto" autocomplete="off" outlined dense
                 hide-bottom-space autofocus :error="messageError !== null" :error-message="messageError || ''"
                 @update:model-value="onMessageInput" @keydown.enter="onEnter" />
        <q-btn class="chat-send" unelevated no-caps color="primary" type="button"
               :aria-busy="busy ? 'true' : 'false'" @click="onSendClick">
          <span class="chat-send-icon" aria-hidden="true">
            <span v-if="busy" class="chat-spinner"></span><q-icon v-else name="send" size="1.25rem" />
          </span>Send
        </q-btn>
      </fieldset>
      <div v-if="slow && !offline" class="chat-sending" role="status">Sending…</div>
      <div v-if="count >= counterFrom" class="chat-counter" :class="{ 'chat-counter-over': count > rules.messageMax }"
           aria-live="polite">{{ count }} / {{ rules.messageMax }}</div>
    </form>`,
  props: {
    rules: { type: Object, required: true },
    initialName: { type: String, default: "" },
    counterFrom: { type: Number, default: 900 },
  },
  data() {
    return {
      name: this.initialName,
      text: sessionStorage.getItem(DRAFT_KEY) || "",
      draftId: sessionStorage.getItem(DRAFT_ID_KEY),
      unanswered: loadUnanswered(), // sends in order, each {id, name, text}, until the server answers
      inFlight: null, // the id of the send the server is answering
      checking: null, // the nonce of the open reconcile, null when none is open
      offline: false,
      unsent: sessionStorage.getItem(UNSENT_KEY) === "1",
      slow: false,
      nameError: null,
      messageError: null,
      refocus: false,
      slowTimer: null, // shows "Sending…" when an answer is slow
      lastKey: 0, // when Message was last typed in (Date.now())
      lastSignal: 0, // when `typing {typing: true}` last went out
      typingSent: false, // the server was told of typing and not yet of its end
      typingTimer: null, // the next `typing {typing: true}`, or the end of the window after one
      idleTimer: null, // `typing {typing: false}` after a pause
    };
  },
  computed: {
    busy() {
      return this.inFlight !== null || this.checking !== null;
    },
    count() {
      return length(trimmed(this.text)); // what the rule measures: over the limit ⇔ "too long"
    },
  },
  watch: {
    text(value) {
      sessionStorage.setItem(DRAFT_KEY, value);
    },
    draftId(value) {
      if (value) sessionStorage.setItem(DRAFT_ID_KEY, value);
      else sessionStorage.removeItem(DRAFT_ID_KEY);
    },
    unsent(value) {
      if (value) sessionStorage.setItem(UNSENT_KEY, "1");
      else sessionStorage.removeItem(UNSENT_KEY);
    },
  },
  mounted() {
    onSocket("disconnect", () => this.onDisconnect());
    onConnected(() => this.onConnect());
    onSocket("chat:restarting", () => this.onDisconnect()); // the server is stopping: say so before the socket closes
  },
  methods: {
    nameProblem(name) {
      const cleaned = trimmed(name);
      if (NAME_REFUSED.test(cleaned)) return this.rules.nameBadCharacter;
      const n = length(cleaned.replace(SPACE_RUN, " "));
      if (n < 1) return this.rules.nameRequired;
      if (n > this.rules.nameMax) return this.rules.nameTooLong;
      return null;
    },
    messageProblem(text) {
      const cleaned = trimmed(text);
      if (MESSAGE_REFUSED.test(cleaned)) return this.rules.messageBadCharacter;
      const n = length(cleaned);
      if (n < this.rules.messageMin) return this.rules.messageTooShort;
      if (n > this.rules.messageMax) return this.rules.messageTooLong;
      return null;
    },
    onNameInput() {
      if (this.nameError !== null && this.nameProblem(this.name) === null) this.nameError = null;
    },
    onMessageInput() {
      this.typed();
      this.draftId = null; // an edited text is a new message
      if (this.unsent) this.unsent = false;
      if (this.messageError !== null && this.messageProblem(this.text) === null) this.messageError = null;
    },
    focusMessage() {
      this.$nextTick(() => this.$refs.message?.focus());
    },
    confirmName(event) {
      if (event.isComposing) return;
      event.preventDefault();
      this.nameError = this.nameProblem(this.name);
      if (this.nameError === null) this.$emit("name", { name: this.name });
    },
    nameAnswer(reply) {
      if (reply.status === "ok") {
        this.nameError = null;
        this.focusMessage();
      } else {
        this.nameError = reply.error;
      }
    },
    onEnter(event) {
      if (event.isComposing) return;
      event.preventDefault();
      this.submit();
    },
    onSendClick() {
      this.submit();
      this.focusMessage();
    },
    submit() {
      if (this.offline) return;
      if (this.text.trim() === "" && this.busy) return; // a second press while sending: nothing new to send
      this.nameError = this.nameProblem(this.name);
      this.messageError = this.messageProblem(this.text);
      if (this.nameError !== null || this.messageError !== null) return;
      this.unanswered.push({ id: this.draftId || newId(), name: this.name, text: this.text });
      this.stopTyping(false); // the send tells the server
      this.saveUnanswered();
      this.text = "";
      this.draftId = null;
      this.unsent = false;
      this.pump();
    },
    typed() {
      if (this.offline || this.text.trim() === "" || this.nameProblem(this.name) !== null) {
        this.stopTyping(true);
        return;
      }
      this.lastKey = Date.now();
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.stopTyping(true), TYPING_IDLE_MS);
      if (!this.typingTimer) this.signalTyping();
    },
    signalTyping() {
      const wait = this.lastSignal + TYPING_EVERY_MS - Date.now();
      if (wait > 0) {
        this.typingTimer = setTimeout(() => this.signalTyping(), wait);
        return;
      }
      this.lastSignal = Date.now();
      this.typingSent = true;
      this.$emit("typing", { typing: true });
      // keystrokes in this window renew the signal when it ends
      this.typingTimer = setTimeout(() => {
        this.typingTimer = null;
        if (this.typingSent && this.lastKey > this.lastSignal) this.signalTyping();
      }, TYPING_EVERY_MS);
    },
    stopTyping(tell) {
      clearTimeout(this.idleTimer);
      clearTimeout(this.typingTimer);
      this.typingTimer = null;
      if (this.typingSent && tell) this.$emit("typing", { typing: false });
      this.typingSent = false;
    },
    saveUnanswered() {
      if (this.unanswered.length) sessionStorage.setItem(UNANSWERED_KEY, JSON.stringify(this.unanswered));
      else sessionStorage.removeItem(UNANSWERED_KEY);
    },
    pump() {
      if (this.inFlight !== null || this.checking !== null || this.offline || !this.unanswered.length) return;
      const entry = this.unanswered[0];
      this.inFlight = entry.id;
      clearTimeout(this.slowTimer);
      this.slowTimer = setTimeout(() => (this.slow = true), SLOW_MS);
      this.$emit("send", { client_msg_id: entry.id, name: entry.name, text: entry.text });
    },
    settled() {
      this.inFlight = null;
      clearTimeout(this.slowTimer);
      this.slow = false;
    },
    answer(reply) {
      if (!reply || reply.client_msg_id !== this.inFlight) return; // from before a reconnect
      this.settled();
      const entry = this.unanswered.shift();
      this.saveUnanswered();
      if (entry && reply.status === "rejected") {
        if (this.text === "") {
          this.text = entry.text; // a programmatic change: no update:model-value, the id stays
          this.draftId = entry.id;
        }
        if (reply.field === "name") this.nameError = reply.error;
        else this.messageError = reply.error;
      }
      this.pump();
    },
    onDisconnect() {
      if (this.offline) return; // told by "chat:restarting" already
      this.offline = true;
      const input = this.$refs.message?.getNativeElement?.();
      this.refocus = input != null && document.activeElement === input;
      this.settled(); // an unanswered send stays at the head of the queue
      this.stopTyping(false); // the server forgets it by itself
      this.checking = null;
    },
    onConnect() {
      this.offline = false;
      if (this.refocus) this.focusMessage();
      if (!this.unanswered.length || this.checking !== null) return;
      this.checking = newId(); // answers to an earlier reconcile (replayed after a reconnect) are ignored
      this.$emit("reconcile", { ids: this.unanswered.map((entry) => entry.id), nonce: this.checking });
    },
    reconciled(reply) {
      if (this.checking === null || reply.nonce !== this.checking) return; // not the open reconcile's answer
      this.checking = null;
      const stored = reply.stored || {};
      const asked = new Set(reply.ids || []);
      const unsent = this.unanswered.filter((entry) => asked.has(entry.id) && !(entry.id in stored));
      this.unanswered = this.unanswered.filter((entry) => !asked.has(entry.id));
      this.saveUnanswered();
      if (unsent.length) {
        const texts = unsent.map((entry) => entry.text);
        if (this.text.trim() !== "") texts.push(this.text);
        this.text = texts.join("\n");
        this.draftId = texts.length === 1 ? unsent[0].id : null; // merged texts are a new message
        this.unsent = true;
      }
      this.pump();
    },
  },
};
