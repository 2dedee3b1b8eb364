// Building elements without a framework: h("button", {class: "x", onclick}, "Label").
// Text goes in as text nodes, never as HTML, so a photo's name can never become markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(key, "");
    } else {
      element.setAttribute(key, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const SVG = "http://www.w3.org/2000/svg";
// Inline icons (24-unit paths), drawn with currentColor.
const PATHS = {
  grid: "M3 3h7v7H3zM14 3h7v7h-7zM3 14h7v7H3zM14 14h7v7h-7z",
  table: "M3 5h18M3 12h18M3 19h18",
  upload: "M12 16V4m0 0-5 5m5-5 5 5M4 20h16",
  close: "M6 6l12 12M18 6 6 18",
  star: "M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z",
  flag: "M5 21V4h11l-1.5 4L16 12H5",
  reject: "M5 5l14 14M19 5 5 19",
  trash: "M4 7h16M9 7V4h6v3m-8 0 1 13h8l1-13",
  refresh: "M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5",
  menu: "M4 6h16M4 12h16M4 18h16",
  info: "M12 8h.01M11 12h1v5h1M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z",
  chevronLeft: "M15 5l-7 7 7 7",
  chevronRight: "M9 5l7 7-7 7",
  folder: "M3 6h6l2 2h10v11H3z",
  photos: "M4 5h16v14H4zM4 15l5-5 4 4 3-3 4 4",
  activity: "M3 12h4l3-8 4 16 3-8h4",
  logout: "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10",
  warning: "M12 3 2 20h20zM12 10v4m0 3h.01",
  check: "M5 12l5 5L20 7",
  more: "M5 12h.01M12 12h.01M19 12h.01",
  pencil: "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
  link: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  share: "M12 15V3m0 0-4 4m4-4 4 4M5 11v9h14v-9",
  download: "M12 4v12m0 0-5-5m5 5 5-5M4 20h16",
  copy: "M8 8h12v12H8zM16 8V4H4v12h4",
  external: "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
};

export function icon(name, label) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("aria-hidden", label ? "false" : "true");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  }
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", PATHS[name] ?? PATHS.more);
  svg.append(path);
  return svg;
}

/** A button with an icon and a label that is always there for screen readers. */
export function iconButton(name, label, onclick, { showLabel = false, ...attributes } = {}) {
  return h(
    "button",
    { type: "button", class: "icon-button", title: label, "aria-label": label, onclick, ...attributes },
    icon(name),
    showLabel ? h("span", { class: "label" }, label) : null,
  );
}

/** Whether a key press belongs to a text field (and so is not a shortcut). */
export function typingIn(event) {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
