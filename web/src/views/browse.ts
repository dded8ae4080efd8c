import { INSTRUMENTS, requestJson, type Stem } from '../api';
import { errorView, field, h, loading, replace, seconds, select, stemTitle } from '../dom';
import type { View } from './view';

interface Page {
  items: Stem[];
  next_cursor: string | null;
}

/** The catalog, filtered by catalog and instrument, a page at a time (cursor paging, oldest first). */
export function browseView(query: URLSearchParams): View {
  const catalog = h('input', { name: 'catalog', value: query.get('catalog') ?? '' });
  const instrument = select('instrument', INSTRUMENTS, query.get('instrument') ?? '', 'All');
  const sizes = ['10', '25', '50', '100'];
  const wanted = query.get('limit') ?? '25';
  // A page size from a link is kept even when it is not one of the offered ones.
  if (/^\d+$/.test(wanted) && Number(wanted) >= 1 && Number(wanted) <= 1000 && !sizes.includes(wanted))
    sizes.unshift(wanted);
  const limit = select('limit', sizes, wanted);
  const body = h('div', { 'aria-live': 'polite' });
  /** Cursors of the pages before the current one, for "Previous". */
  const cursors: Array<string | undefined> = [];
  let cursor: string | undefined;
  let abort: AbortController | null = null;

  const form = h(
    'form',
    { class: 'panel grid', 'aria-label': 'Filters' },
    field('Catalog', catalog, 'empty: all'),
    field('Instrument', instrument),
    field('Per page', limit),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (catalog.value.trim()) params.set('catalog', catalog.value.trim());
    if (instrument.value) params.set('instrument', instrument.value);
    params.set('limit', limit.value);
    // Filters live in the URL so a reload or a shared link shows the same list.
    location.hash = `#/browse?${params}`;
  });

  async function load(): Promise<void> {
    abort?.abort();
    abort = new AbortController();
    const params = new URLSearchParams({ limit: limit.value });
    if (catalog.value.trim()) params.set('catalog', catalog.value.trim());
    if (instrument.value) params.set('instrument', instrument.value);
    if (cursor) params.set('cursor', cursor);
    replace(body, loading('Loading stems…'));
    let page: Page;
    try {
      page = await requestJson<Page>(`/v1/stems?${params}`, { signal: abort.signal });
    } catch (error) {
      if ((error as Error).name !== 'AbortError') replace(body, errorView(error, 'Listing stems'));
      return;
    }
    render(page);
  }

  function render(page: Page): void {
    const previous = h('button', { type: 'button', disabled: cursors.length === 0 }, 'Previous page');
    previous.addEventListener('click', () => {
      cursor = cursors.pop();
      void load();
    });
    const next = h('button', { type: 'button', disabled: page.next_cursor === null }, 'Next page');
    next.addEventListener('click', () => {
      cursors.push(cursor);
      cursor = page.next_cursor ?? undefined;
      void load();
    });
    if (page.items.length === 0 && cursors.length === 0) {
      replace(
        body,
        h(
          'p',
          { class: 'empty' },
          'No stems match these filters. ',
          h('a', { href: '#/ingest' }, 'Ingest some stems'),
          ' first.',
        ),
      );
      return;
    }
    replace(
      body,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { 'data-testid': 'stems', class: 'cards' },
          h('caption', {}, `Page ${cursors.length + 1}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Title', 'External id', 'Instrument', 'Catalog', 'Key / BPM', 'Duration', 'Chunks'].map(
                (name) => h('th', { scope: 'col' }, name),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            page.items.map((stem) =>
              h(
                'tr',
                { 'data-stem-id': stem.id },
                h(
                  'td',
                  { 'data-label': 'Title' },
                  h('a', { href: `#/stems/${encodeURIComponent(stem.id)}` }, stemTitle(stem)),
                ),
                h('td', { 'data-label': 'External id' }, stem.external_id ?? '—'),
                h('td', { 'data-label': 'Instrument' }, stem.instrument),
                h('td', { 'data-label': 'Catalog' }, stem.catalog),
                h(
                  'td',
                  { 'data-label': 'Key / BPM' },
                  `${stem.metadata.key ?? '—'} / ${stem.metadata.bpm ?? '—'}`,
                ),
                h('td', { 'data-label': 'Duration' }, seconds(stem.duration_seconds, 1)),
                h('td', { 'data-label': 'Chunks' }, String(stem.chunk_count)),
              ),
            ),
          ),
        ),
      ),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, next),
    );
  }

  void load();
  const element = h(
    'section',
    { class: 'view', 'aria-labelledby': 'browse-title' },
    h('h2', { id: 'browse-title' }, 'Browse the catalog'),
    form,
    body,
  );
  return { element, title: 'Browse', dispose: () => abort?.abort() };
}
