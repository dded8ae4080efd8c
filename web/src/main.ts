import { apiKey } from './api';
import { currentRoute, h, replace } from './dom';
import { browseView } from './views/browse';
import { ingestView, jobView } from './views/ingest';
import { searchView } from './views/search';
import { stemView } from './views/stem';
import type { View } from './views/view';

const main = document.getElementById('main')!;
let current: View | null = null;

function viewFor(parts: string[], query: URLSearchParams): { view: View; nav: string } {
  switch (parts[0]) {
    case 'ingest':
      return { view: ingestView(), nav: 'ingest' };
    case 'jobs':
      return { view: jobView(parts[1] ?? ''), nav: 'ingest' };
    case 'browse':
      return { view: browseView(query), nav: 'browse' };
    case 'stems':
      return { view: stemView(parts[1] ?? ''), nav: 'browse' };
    default:
      return { view: searchView(query), nav: 'search' };
  }
}

function route(): void {
  current?.dispose?.();
  const { parts, query } = currentRoute();
  const { view, nav } = viewFor(parts, query);
  current = view;
  const flash = sessionStorage.getItem('stemdex.flash');
  sessionStorage.removeItem('stemdex.flash');
  replace(main, flash && h('p', { class: 'flash', role: 'status' }, flash), view.element);
  document.title = `${view.title} · stemdex`;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // Move focus to the new page so keyboard and screen-reader users start there.
  main.focus({ preventScroll: true });
}

function setUpKey(): void {
  const form = document.getElementById('key-form') as HTMLFormElement;
  const input = document.getElementById('api-key') as HTMLInputElement;
  const status = document.getElementById('key-status')!;
  const show = () => {
    status.textContent = apiKey.get() ? 'Key set for this tab.' : 'No key: reads only.';
  };
  input.value = apiKey.get() ?? '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) apiKey.set(input.value.trim());
    else apiKey.clear();
    show();
  });
  document.getElementById('key-forget')!.addEventListener('click', () => {
    apiKey.clear();
    input.value = '';
    show();
  });
  show();
}

setUpKey();
window.addEventListener('hashchange', route);
route();
