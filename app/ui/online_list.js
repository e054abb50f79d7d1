// The online list: distinct names, shared by every tab through one "chat:presence" frame.
function onSocket(event, handler) {
  if (window.socket) window.socket.on(event, handler);
  else setTimeout(() => onSocket(event, handler), 20);
}

export default {
  template: `
    <section class="chat-online" aria-label="Online users">
      <div class="chat-online-count">{{ names.length }} online</div>
      <ul class="chat-online-names">
        <li v-for="name in names" :key="name" class="chat-online-name">
          <span class="chat-dot" aria-hidden="true"></span>{{ name }}
        </li>
      </ul>
    </section>`,
  props: {
    users: { type: Array, default: () => [] },
  },
  data() {
    return { names: this.users.slice() };
  },
  mounted() {
    this.handler = (names) => this.setUsers(names);
    onSocket("chat:presence", this.handler);
  },
  unmounted() {
    window.socket?.off("chat:presence", this.handler);
  },
  methods: {
    setUsers(names) {
      this.names = names;
    },
  },
};
