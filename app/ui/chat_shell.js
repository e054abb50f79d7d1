// The page's frame in one element: the header with the page's heading and, after it, the header slot
// (the attention controls); the main column (default slot: messages, typing line, composer); the aside
// (online list: a drop-down in the header on phones, a side column from md). Plain markup with no state:
// one NiceGUI element instead of six keeps less on the server per open tab.
export default {
  template: `
    <div class="chat-shell relative flex flex-col flex-nowrap h-dvh w-full overflow-hidden">
      <div class="chat-header flex flex-nowrap items-center h-12 shrink-0 px-4">
        <h1 class="chat-title">{{ title }}</h1>
        <slot name="header"></slot>
      </div>
      <div class="flex flex-nowrap flex-1 min-h-0">
        <div class="flex flex-col flex-nowrap flex-1 min-w-0"><slot></slot></div>
        <div class="chat-aside absolute top-0 right-0 z-20 md:static md:w-64 md:shrink-0">
          <slot name="aside"></slot>
        </div>
      </div>
    </div>`,
  props: {
    title: { type: String, default: "Chat" },
  },
};
