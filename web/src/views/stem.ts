import { INSTRUMENTS, requestBytes, requestJson, type Stem, stemAudioPath } from '../api';
import { errorView, field, h, loading, replace, seconds, select, stemTitle } from '../dom';
import type { View } from './view';

/** One stem: its facts, its audio, "find compatible stems", and delete (after a confirmation). */
export function stemView(id: string): View {
  const body = h('div', { 'aria-live': 'polite' }, loading());
  const status = h('div', { 'aria-live': 'assertive' });
  let audioUrl: string | null = null;
  const abort = new AbortController();

  async function load(): Promise<void> {
    let stem: Stem;
    try {
      stem = await requestJson<Stem>(`/v1/stems/${encodeURIComponent(id)}`, { signal: abort.signal });
    } catch (error) {
      if ((error as Error).name !== 'AbortError') replace(body, errorView(error, 'Loading the stem'));
      return;
    }
    render(stem);
  }

  function render(stem: Stem): void {
    const { title, tags, key, bpm, ...rest } = stem.metadata;
    const facts: Array<[string, string]> = [
      ['Id', stem.id],
      ['Catalog', stem.catalog],
      ['External id', stem.external_id ?? '—'],
      ['Instrument', stem.instrument],
      ['Duration', seconds(stem.duration_seconds)],
      [
        'Chunks (8 s each)',
        stem.indexed_chunks === undefined
          ? String(stem.chunk_count)
          : `${stem.chunk_count} (${stem.indexed_chunks} searchable, the rest silent)`,
      ],
      ['Key', key ?? '—'],
      ['BPM', bpm === undefined ? '—' : String(bpm)],
      ['Tags', tags?.join(', ') || '—'],
      ['Created', new Date(stem.created_at).toLocaleString()],
      ['Updated', new Date(stem.updated_at).toLocaleString()],
    ];
    const audio = h(
      'div',
      { class: 'audio' },
      h('button', { type: 'button', onclick: () => void loadAudio(audio) }, 'Load audio'),
    );

    const wanted = select(
      'instrument',
      INSTRUMENTS,
      INSTRUMENTS.find((name) => name !== stem.instrument) ?? 'bass',
    );
    const k = h('input', { type: 'number', name: 'k', min: 1, max: 100, value: 10 });
    const compatible = h(
      'form',
      { class: 'panel grid', 'aria-labelledby': 'compatible-title' },
      h('h3', { id: 'compatible-title' }, 'Find compatible stems'),
      field('Instrument wanted', wanted),
      field('Results (k)', k),
      h('button', { type: 'submit', class: 'primary' }, 'Find compatible stems'),
    );
    compatible.addEventListener('submit', (event) => {
      event.preventDefault();
      const params = new URLSearchParams({ stem: stem.id, instrument: wanted.value, k: k.value, run: '1' });
      location.hash = `#/search?${params}`;
    });

    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'delete-title' },
      h('h3', { id: 'delete-title' }, `Delete “${stemTitle(stem)}”?`),
      h('p', {}, 'It disappears from search at once. This cannot be undone.'),
      h(
        'form',
        { method: 'dialog', class: 'row' },
        h('button', { value: 'cancel', autofocus: true }, 'Cancel'),
        h('button', { value: 'delete', class: 'danger' }, 'Delete'),
      ),
    );
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'delete') void remove(stem);
    });

    replace(
      body,
      h('h2', { id: 'stem-title' }, stemTitle(stem)),
      h(
        'dl',
        { class: 'facts wide' },
        facts.flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]),
      ),
      Object.keys(rest).length > 0 &&
        h('details', {}, h('summary', {}, 'Other metadata'), h('pre', {}, JSON.stringify(rest, null, 2))),
      audio,
      compatible,
      h(
        'div',
        { class: 'panel' },
        h('button', { type: 'button', class: 'danger', onclick: () => dialog.showModal() }, 'Delete stem…'),
        status,
      ),
      dialog,
    );
  }

  async function loadAudio(container: HTMLElement): Promise<void> {
    replace(container, loading('Loading audio…'));
    try {
      // Fetched (not an <audio src>) so the API key header goes along when reads need one.
      const bytes = await requestBytes(stemAudioPath(id), abort.signal);
      audioUrl = URL.createObjectURL(new Blob([bytes]));
      replace(container, h('audio', { controls: true, src: audioUrl, 'aria-label': 'Stem audio' }));
    } catch (error) {
      if ((error as Error).name !== 'AbortError') replace(container, errorView(error, 'Loading the audio'));
    }
  }

  async function remove(stem: Stem): Promise<void> {
    replace(status, loading('Deleting…'));
    try {
      await requestJson<void>(`/v1/stems/${encodeURIComponent(stem.id)}`, { method: 'DELETE' });
      sessionStorage.setItem('stemdex.flash', `Deleted “${stemTitle(stem)}”.`);
      location.hash = `#/browse?catalog=${encodeURIComponent(stem.catalog)}`;
    } catch (error) {
      replace(status, errorView(error, 'Deleting the stem'));
    }
  }

  void load();
  const element = h(
    'section',
    { class: 'view', 'aria-labelledby': 'stem-title' },
    h('p', {}, h('a', { href: '#/browse' }, '← Browse')),
    body,
  );
  return {
    element,
    title: 'Stem',
    dispose: () => {
      abort.abort();
      if (audioUrl) URL.revokeObjectURL(audioUrl);
    },
  };
}
