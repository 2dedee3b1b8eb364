// Scaffold: replaced by the real grid.
import { h } from "../lib/dom.js";

export function createGrid(ctx) {
  const element = h("div", { class: "grid-scaffold" });
  const render = () => {
    element.textContent = `${ctx.list?.total ?? 0} photos`;
  };
  const off = ctx.list?.subscribe(render);
  return { element, refresh: render, scrollToIndex() {}, focusIndex() {}, setSize() {}, destroy() { off?.(); } };
}
