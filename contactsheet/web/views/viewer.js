// Scaffold: replaced by the real viewer.
export function createViewer() {
  let open = false;
  return { open() { open = true; }, close() { open = false; }, isOpen: () => open, destroy() {} };
}
