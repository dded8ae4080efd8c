import { ApiError } from './api';

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | null | EventListener>;

/** A small element builder: attributes (`on…` become listeners), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Array<Child | Child[]>): void {
  parent.replaceChildren();
  append(parent, children);
}

let fieldIds = 0;
/** A labelled form control: the label is tied to the control by id. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f${++fieldIds}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint && h('small', { id: hintId, class: 'muted' }, hint),
  );
}

export function select(name: string, options: string[], value = '', empty?: string): HTMLSelectElement {
  return h(
    'select',
    { name },
    empty !== undefined && h('option', { value: '' }, empty),
    options.map((option) => h('option', { value: option, selected: option === value }, option)),
  );
}

/** How an error reads to a person: the API code always shown, a 401 explained. */
export function errorView(error: unknown, action = 'The request'): HTMLElement {
  if (error instanceof ApiError) {
    const explanation =
      error.status === 401
        ? 'This action needs a valid API key: enter it under “API key” at the top of the page (it is kept for this tab only).'
        : error.status === 403
          ? 'Your API key is not allowed to do this.'
          : null;
    return h(
      'div',
      { class: 'error', role: 'alert', 'data-code': error.code },
      h(
        'p',
        {},
        h('strong', {}, error.code),
        error.status ? ` (HTTP ${error.status}) ` : ' ',
        `${action} failed: ${error.message}`,
      ),
      explanation && h('p', {}, explanation),
      error.details !== undefined &&
        h('details', {}, h('summary', {}, 'Details'), h('pre', {}, JSON.stringify(error.details, null, 2))),
    );
  }
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-code': 'CLIENT_ERROR' },
    h(
      'p',
      {},
      h('strong', {}, 'CLIENT_ERROR'),
      ` ${action} failed: ${String((error as Error)?.message ?? error)}`,
    ),
  );
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, text);
}

export const seconds = (value: number, digits = 2) => `${value.toFixed(digits)} s`;

export function signedSeconds(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)} s`;
}

export function stemTitle(stem: {
  metadata: { title?: string };
  external_id: string | null;
  id: string;
}): string {
  return stem.metadata.title || stem.external_id || stem.id;
}

/** Parses `#/path/a?x=1` into its route parts and query. */
export function currentRoute(): { parts: string[]; query: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = hash.split('?');
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

/** True while the user types in a field, where single-key shortcuts must not fire. */
export function typingInField(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return (
    target instanceof HTMLInputElement &&
    !['checkbox', 'radio', 'button', 'range', 'submit'].includes(target.type)
  );
}
