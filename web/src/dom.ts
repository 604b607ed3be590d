/** Tiny DOM helpers: elements by `data-testid`, text updates that skip unchanged nodes. */

export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`page is missing the element data-testid="${id}"`);
  return element;
}

export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** Publishes a page's live state for tests and automation. */
export function publishHook<T extends object>(hook: T): T {
  (window as unknown as { __peerproc: T }).__peerproc = hook;
  return hook;
}
