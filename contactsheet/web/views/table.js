// Scaffold: replaced by the real table.
import { h } from "../lib/dom.js";

export function createTable(ctx) {
  const element = h("div", { class: "table-scaffold" });
  const render = () => {
    element.textContent = `${ctx.list?.total ?? 0} photos`;
  };
  const off = ctx.list?.subscribe(render);
  return { element, refresh: render, scrollToIndex() {}, focusIndex() {}, setSize() {}, destroy() { off?.(); } };
}
