// dom.js: small helpers to build elements and to speak to screen readers.
// Text always goes through textContent, never innerHTML: file names come
// from users.

/**
 * el makes an element with attributes (or properties for on* handlers,
 * hidden, disabled…) and children (strings or nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'className') node.className = value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** byId returns the element with the id, which the page must have. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/** announce tells assistive technology about a change nobody focused. */
export function announce(message) {
  const region = byId('announce');
  region.textContent = '';
  // A fresh text node in a later task is read even when it repeats.
  setTimeout(() => { region.textContent = message; }, 50);
}
