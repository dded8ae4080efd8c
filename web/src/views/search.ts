import {
  ApiError,
  INSTRUMENTS,
  requestBytes,
  requestJson,
  type SearchResponse,
  type SearchResult,
  stemAudioPath,
} from '../api';
import { drawSpectrogram, drawWaveform, type Region, type Timeline } from '../audition/draw';
import { AuditionPlayer, type TrackName } from '../audition/player';
import {
  errorView,
  field,
  h,
  loading,
  replace,
  seconds,
  select,
  signedSeconds,
  stemTitle,
  typingInField,
} from '../dom';
import type { View } from './view';

/** Length of one model chunk: the matched region of the mix is this long. */
const CHUNK_SECONDS = 8;
const NUDGE_MS = 10;

declare global {
  interface Window {
    /** Test and debugging hook: what the audition player scheduled, on which clock. */
    __stemdexAudition?: () => ReturnType<AuditionPlayer['snapshot']>;
  }
}

interface Audition {
  results: SearchResult[];
  mix: AudioBuffer | null;
  /** Index of result A; B is the one after it. */
  a: number;
  showingB: boolean;
  /** Per result, the user's nudge added to the suggested offset. */
  nudges: Map<number, number>;
  bpm: number;
}

export function searchView(query: URLSearchParams): View {
  const player = new AuditionPlayer();
  window.__stemdexAudition = () => player.snapshot();
  const stemAudio = new Map<string, Promise<AudioBuffer>>();
  let audition: Audition | null = null;
  let frame = 0;
  let searchAbort: AbortController | null = null;

  const mixFile = h('input', { type: 'file', name: 'mix', accept: 'audio/*,.wav,.flac,.mp3,.ogg' });
  const dropZone = h(
    'div',
    { class: 'drop', 'data-testid': 'mix-drop' },
    field('Mix file (WAV, FLAC, MP3, Ogg)', mixFile, 'or drop a file here'),
  );
  const contextStem = h('input', { name: 'stem', value: query.get('stem') ?? '', spellcheck: 'false' });
  const instrument = select('instrument', INSTRUMENTS, query.get('instrument') ?? 'bass');
  const k = h('input', { name: 'k', type: 'number', min: 1, max: 100, value: query.get('k') ?? '10' });
  const catalog = h('input', { name: 'catalog', value: query.get('catalog') ?? '' });
  const tags = h('input', { name: 'tags', placeholder: 'house, dry' });
  const key = h('input', { name: 'key', placeholder: 'A minor' });
  const bpmMin = h('input', { name: 'bpm_min', type: 'number', min: 1, max: 1000, step: 'any' });
  const bpmMax = h('input', { name: 'bpm_max', type: 'number', min: 1, max: 1000, step: 'any' });
  const useStem = h('input', {
    type: 'checkbox',
    id: 'use-stem',
    name: 'use-stem',
    checked: query.has('stem'),
  });
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const resultsList = h('ol', { class: 'results', 'aria-label': 'Results' });
  const auditionPanel = h('section', { class: 'audition', 'aria-label': 'Audition', hidden: true });

  dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    dropZone.classList.add('over');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('over');
    if (event.dataTransfer?.files.length) {
      mixFile.files = event.dataTransfer.files;
      useStem.checked = false;
    }
  });

  const form = h(
    'form',
    { class: 'panel', 'aria-label': 'Search' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Context'),
      dropZone,
      h(
        'div',
        { class: 'field inline' },
        useStem,
        h('label', { for: 'use-stem' }, 'Use a catalog stem as the context instead'),
      ),
      field('Catalog stem id', contextStem),
    ),
    h(
      'fieldset',
      { class: 'grid' },
      h('legend', {}, 'Wanted'),
      field('Instrument', instrument),
      field('Results (k)', k),
      field('Catalog', catalog, 'empty: all catalogs'),
      field('Tags', tags, 'comma-separated, all required'),
      field('Key', key),
      field('BPM from', bpmMin),
      field('BPM to', bpmMax),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runSearch();
  });

  function filters(): Record<string, string> {
    const values: Record<string, string> = { instrument: instrument.value, k: k.value || '10' };
    if (catalog.value.trim()) values.catalog = catalog.value.trim();
    if (key.value.trim()) values.key = key.value.trim();
    if (bpmMin.value) values.bpm_min = bpmMin.value;
    if (bpmMax.value) values.bpm_max = bpmMax.value;
    if (tags.value.trim()) values.tags = tags.value.trim();
    return values;
  }

  async function runSearch(): Promise<void> {
    searchAbort?.abort();
    const abort = new AbortController();
    searchAbort = abort;
    player.stop();
    auditionPanel.hidden = true;
    replace(resultsList);
    const values = filters();
    const stemId = contextStem.value.trim();
    const file = mixFile.files?.[0];
    if (useStem.checked ? !stemId : !file) {
      replace(
        status,
        errorView(
          new ApiError(0, 'MISSING_FILE', useStem.checked ? 'enter a stem id' : 'choose or drop a mix file'),
          'Search',
        ),
      );
      return;
    }
    replace(status, loading('Searching…'));
    let response: SearchResponse;
    let mixBytes: Promise<ArrayBuffer>;
    try {
      if (useStem.checked) {
        const body: Record<string, unknown> = { ...values, k: Number(values.k) };
        if (values.tags)
          body.tags = values.tags
            .split(',')
            .map((tag) => tag.trim())
            .filter(Boolean);
        for (const name of ['bpm_min', 'bpm_max']) if (values[name]) body[name] = Number(values[name]);
        response = await requestJson<SearchResponse>(`/v1/stems/${encodeURIComponent(stemId)}/compatible`, {
          method: 'POST',
          json: body,
          signal: abort.signal,
        });
        mixBytes = requestBytes(stemAudioPath(stemId), abort.signal);
      } else {
        const data = new FormData();
        data.append('file', file!, file!.name);
        for (const [name, value] of Object.entries(values)) data.append(name, value);
        response = await requestJson<SearchResponse>('/v1/search', {
          method: 'POST',
          form: data,
          signal: abort.signal,
        });
        mixBytes = file!.arrayBuffer();
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') replace(status, errorView(error, 'Search'));
      return;
    }
    showResults(response);
    try {
      const mix = await player.decode(await mixBytes);
      if (abort.signal.aborted || !audition) return;
      audition.mix = mix;
      player.setMix(mix);
      if (response.results.length > 0) await choose(0, false);
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      const reason =
        error instanceof ApiError
          ? error
          : new ApiError(
              0,
              'DECODE_FAILED',
              `the browser could not decode the mix for playback (${(error as Error).message})`,
            );
      status.append(errorView(reason, 'Loading the mix for audition'));
    }
  }

  function showResults(response: SearchResponse): void {
    const count = response.results.length;
    replace(
      status,
      h(
        'p',
        { role: 'status', 'data-testid': 'search-summary' },
        count === 0
          ? 'No stems matched: try another instrument, fewer filters, or ingest stems first.'
          : `${count} result${count === 1 ? '' : 's'} for ${response.query.instrument}, mix of ${seconds(response.query.duration_seconds, 1)} (${response.query.chunks} chunks).`,
      ),
    );
    audition = { results: response.results, mix: null, a: 0, showingB: false, nudges: new Map(), bpm: 120 };
    replace(
      resultsList,
      response.results.map((result, index) => {
        const meta = result.stem.metadata;
        return h(
          'li',
          {
            class: 'result',
            'data-stem-id': result.stem.id,
            'data-offset': result.alignment.offset_seconds,
            'data-score': result.score,
          },
          h(
            'button',
            {
              type: 'button',
              class: 'pick',
              'aria-pressed': 'false',
              onclick: () => void choose(index, true),
            },
            h('span', { class: 'rank' }, `${index + 1}.`),
            ' ',
            stemTitle(result.stem),
          ),
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'Score'),
            h('dd', { class: 'score' }, result.score.toFixed(3)),
            h('dt', {}, 'Offset'),
            h('dd', { class: 'offset' }, signedSeconds(result.alignment.offset_seconds)),
            h('dt', {}, 'Match'),
            h(
              'dd',
              {},
              `mix ${seconds(result.match.context_offset_seconds, 1)} ↔ stem chunk ${result.match.stem_chunk_index} (${seconds(result.match.stem_chunk_offset_seconds, 1)})`,
            ),
            h('dt', {}, 'External id'),
            h('dd', {}, result.stem.external_id ?? '—'),
            h('dt', {}, 'Instrument'),
            h('dd', {}, result.stem.instrument),
            h('dt', {}, 'Key / BPM'),
            h('dd', {}, `${meta.key ?? '—'} / ${meta.bpm ?? '—'}`),
            h('dt', {}, 'Tags'),
            h('dd', {}, meta.tags?.join(', ') || '—'),
          ),
        );
      }),
    );
  }

  const current = () => (audition ? audition.a + (audition.showingB ? 1 : 0) : 0);
  const offsetOf = (index: number) =>
    audition ? audition.results[index].alignment.offset_seconds + (audition.nudges.get(index) ?? 0) : 0;

  function stemBuffer(id: string): Promise<AudioBuffer> {
    let buffer = stemAudio.get(id);
    if (!buffer) {
      buffer = requestBytes(stemAudioPath(id)).then((bytes) => player.decode(bytes));
      stemAudio.set(id, buffer);
      buffer.catch(() => stemAudio.delete(id));
    }
    return buffer;
  }

  async function choose(index: number, focusPanel: boolean): Promise<void> {
    if (!audition || index < 0 || index >= audition.results.length) return;
    audition.a = index;
    audition.showingB = false;
    await show(focusPanel);
  }

  /** Loads the current result's stem and lays it on the mix, keeping playback going. */
  async function show(focusPanel = false): Promise<void> {
    if (!audition) return;
    const index = current();
    const result = audition.results[index];
    for (const [i, item] of [...resultsList.children].entries()) {
      item.querySelector('.pick')?.setAttribute('aria-pressed', String(i === index));
      item.classList.toggle('selected', i === index);
    }
    auditionPanel.hidden = false;
    if (!auditionPanel.firstChild) buildPanel();
    const label = auditionPanel.querySelector('[data-testid="now-playing"]')!;
    replace(label, loading(`Loading ${stemTitle(result.stem)}…`));
    try {
      const buffer = await stemBuffer(result.stem.id);
      if (current() !== index) return;
      audition.bpm = typeof result.stem.metadata.bpm === 'number' ? result.stem.metadata.bpm : audition.bpm;
      player.setStem(buffer, offsetOf(index));
      replace(label, `${audition.showingB ? 'B' : 'A'}: #${index + 1} ${stemTitle(result.stem)}`);
      updateLoop();
      redraw();
      if (focusPanel) (auditionPanel.querySelector('[data-action="play"]') as HTMLElement | null)?.focus();
    } catch (error) {
      replace(label, errorView(error, `Loading the audio of ${stemTitle(result.stem)}`));
    }
  }

  function matchedRegion(): Region | null {
    if (!audition) return null;
    const result = audition.results[current()];
    const start = result.match.context_offset_seconds;
    return { start, end: Math.min(start + CHUNK_SECONDS, player.timelineEnd) };
  }

  function updateLoop(): void {
    const loop = auditionPanel.querySelector<HTMLInputElement>('[name="loop"]');
    player.setLoop(loop?.checked ? matchedRegion() : null);
  }

  const canvases: Record<string, HTMLCanvasElement> = {};
  const playheads: HTMLElement[] = [];

  function lane(name: string, label: string): HTMLElement {
    const canvas = h('canvas', {
      class: name.endsWith('spec') ? 'spec' : 'wave',
      role: 'img',
      'aria-label': label,
    });
    canvases[name] = canvas;
    const playhead = h('div', { class: 'playhead', 'aria-hidden': 'true' });
    playheads.push(playhead);
    return h('div', { class: 'lane' }, canvas, playhead);
  }

  function trackControls(track: TrackName, label: string): HTMLElement {
    const gain = h('input', { type: 'range', min: 0, max: 1.5, step: 0.05, value: 1, name: `${track}-gain` });
    gain.addEventListener('input', () => player.setLevel(track, { gain: Number(gain.value) }));
    const toggle = (kind: 'mute' | 'solo') => {
      const button = h(
        'button',
        { type: 'button', 'aria-pressed': 'false', 'data-action': `${track}-${kind}` },
        kind === 'mute' ? 'Mute' : 'Solo',
      );
      button.addEventListener('click', () => {
        const on = button.getAttribute('aria-pressed') !== 'true';
        button.setAttribute('aria-pressed', String(on));
        player.setLevel(track, { [kind]: on });
      });
      return button;
    };
    return h(
      'div',
      { class: 'track' },
      h('strong', {}, label),
      field(`${label} gain`, gain),
      toggle('mute'),
      toggle('solo'),
    );
  }

  function buildPanel(): void {
    const playButton = h(
      'button',
      { type: 'button', class: 'primary', 'data-action': 'play', 'aria-keyshortcuts': 'Space' },
      'Play',
    );
    playButton.addEventListener('click', () => togglePlay());
    player.onStateChange = () => {
      playButton.textContent = player.playing ? 'Pause' : 'Play';
      if (player.playing) animate();
    };
    const loop = h('input', { type: 'checkbox', name: 'loop', id: 'loop-region', 'aria-keyshortcuts': 'L' });
    loop.addEventListener('change', () => updateLoop());
    const bpm = h('input', {
      type: 'number',
      name: 'beat-bpm',
      min: 20,
      max: 400,
      step: 'any',
      value: audition?.bpm ?? 120,
    });
    bpm.addEventListener('change', () => {
      if (audition && Number(bpm.value) > 0) audition.bpm = Number(bpm.value);
    });
    const nudge = (label: string, delta: () => number, shortcut: string) =>
      h('button', { type: 'button', 'aria-keyshortcuts': shortcut, onclick: () => nudgeBy(delta()) }, label);
    const beat = () => 60 / (audition?.bpm || 120);
    replace(
      auditionPanel,
      h('h3', {}, 'Audition ', h('span', { 'data-testid': 'now-playing', 'aria-live': 'polite' })),
      h(
        'div',
        { class: 'transport' },
        playButton,
        h(
          'div',
          { class: 'field inline' },
          loop,
          h('label', { for: 'loop-region' }, 'Loop the matched region (L)'),
        ),
        h('output', { class: 'position', 'data-testid': 'position' }, '0.00 s'),
      ),
      h('div', { class: 'tracks' }, trackControls('mix', 'Mix'), trackControls('stem', 'Stem')),
      h(
        'div',
        { class: 'nudge', role: 'group', 'aria-label': 'Offset' },
        h(
          'span',
          {},
          'Offset ',
          h('output', { 'data-testid': 'offset' }, signedSeconds(player.offsetSeconds)),
        ),
        nudge('−1 beat', () => -beat(), '{'),
        nudge(`−${NUDGE_MS} ms`, () => -NUDGE_MS / 1000, '['),
        nudge(`+${NUDGE_MS} ms`, () => NUDGE_MS / 1000, ']'),
        nudge('+1 beat', () => beat(), '}'),
        h('button', { type: 'button', onclick: () => nudgeBy(null) }, 'Reset'),
        field('Beat BPM', bpm),
      ),
      h(
        'div',
        { class: 'ab' },
        h(
          'button',
          { type: 'button', 'aria-keyshortcuts': 'B', onclick: () => abToggle() },
          'A/B with next (B)',
        ),
        h(
          'button',
          { type: 'button', 'aria-keyshortcuts': 'N', onclick: () => void choose(current() + 1, false) },
          'Next result (N)',
        ),
      ),
      h(
        'div',
        { class: 'lanes' },
        h('p', { class: 'lane-label' }, 'Mix'),
        lane('mixwave', 'Mix waveform, matched region marked'),
        lane('mixspec', 'Mix spectrogram, matched region marked'),
        h('p', { class: 'lane-label' }, 'Stem at its offset'),
        lane('stemwave', 'Stem waveform on the mix timeline, matched chunk marked'),
        lane('stemspec', 'Stem spectrogram on the mix timeline, matched chunk marked'),
      ),
      h(
        'p',
        { class: 'muted shortcuts' },
        'Keys: Space play/pause · L loop · [ ] nudge 10 ms · { } nudge a beat · B A/B with the next result · N next result',
      ),
    );
  }

  function timeline(): Timeline {
    const mix = player.mix?.duration ?? 0;
    const stemStart = player.stem ? Math.min(0, player.offsetSeconds) : 0;
    return { start: stemStart, end: Math.max(mix, player.timelineEnd) };
  }

  function redraw(): void {
    if (!audition) return;
    const line = timeline();
    const result = audition.results[current()];
    const stemRegion = {
      start: player.offsetSeconds + result.match.stem_chunk_offset_seconds,
      end: player.offsetSeconds + result.match.stem_chunk_offset_seconds + CHUNK_SECONDS,
    };
    if (player.mix) {
      drawWaveform(canvases.mixwave, player.mix, 0, line, matchedRegion(), '#1d4ed8');
      drawSpectrogram(canvases.mixspec, player.mix, 0, line, matchedRegion());
    }
    if (player.stem) {
      drawWaveform(canvases.stemwave, player.stem, player.offsetSeconds, line, stemRegion, '#047857');
      drawSpectrogram(canvases.stemspec, player.stem, player.offsetSeconds, line, stemRegion);
    }
    const offset = auditionPanel.querySelector('[data-testid="offset"]');
    if (offset) offset.textContent = signedSeconds(player.offsetSeconds);
    movePlayheads();
  }

  function movePlayheads(): void {
    const line = timeline();
    const position = player.position();
    const percent = ((position - line.start) / Math.max(1e-6, line.end - line.start)) * 100;
    for (const playhead of playheads) playhead.style.left = `${Math.min(100, Math.max(0, percent))}%`;
    const output = auditionPanel.querySelector('[data-testid="position"]');
    if (output) output.textContent = seconds(position);
  }

  function animate(): void {
    cancelAnimationFrame(frame);
    const step = () => {
      movePlayheads();
      if (player.playing) frame = requestAnimationFrame(step);
    };
    frame = requestAnimationFrame(step);
  }

  function togglePlay(): void {
    if (player.playing) player.pause();
    else void player.play();
  }

  function nudgeBy(delta: number | null): void {
    if (!audition) return;
    const index = current();
    audition.nudges.set(index, delta === null ? 0 : (audition.nudges.get(index) ?? 0) + delta);
    player.setOffset(offsetOf(index));
    updateLoop();
    redraw();
  }

  function abToggle(): void {
    if (!audition) return;
    if (audition.a + 1 >= audition.results.length) return;
    audition.showingB = !audition.showingB;
    void show();
  }

  const onKey = (event: KeyboardEvent) => {
    if (
      !audition ||
      auditionPanel.hidden ||
      typingInField(event) ||
      event.ctrlKey ||
      event.metaKey ||
      event.altKey
    )
      return;
    const target = event.target as HTMLElement;
    // Space already means "press" on buttons, links and checkboxes: leave it to them there.
    const onButton =
      target instanceof HTMLButtonElement ||
      target instanceof HTMLAnchorElement ||
      (target instanceof HTMLInputElement && (target.type === 'checkbox' || target.type === 'radio'));
    const actions: Record<string, () => void> = {
      ' ': () => togglePlay(),
      l: () => {
        const loop = auditionPanel.querySelector<HTMLInputElement>('[name="loop"]')!;
        loop.checked = !loop.checked;
        updateLoop();
      },
      '[': () => nudgeBy(-NUDGE_MS / 1000),
      ']': () => nudgeBy(NUDGE_MS / 1000),
      '{': () => nudgeBy(-60 / (audition?.bpm || 120)),
      '}': () => nudgeBy(60 / (audition?.bpm || 120)),
      b: () => abToggle(),
      n: () => void choose(current() + 1, false),
    };
    const name = /^[a-z]$/i.test(event.key) ? event.key.toLowerCase() : event.key;
    const action = actions[name];
    if (!action || (event.key === ' ' && onButton)) return;
    event.preventDefault();
    action();
  };
  document.addEventListener('keydown', onKey);
  const onResize = () => redraw();
  window.addEventListener('resize', onResize);

  const element = h(
    'section',
    { class: 'view search-view', 'aria-labelledby': 'search-title' },
    h('h2', { id: 'search-title' }, 'Search & audition'),
    h(
      'p',
      { class: 'muted' },
      'Which stems of your catalog fit this mix? Each result is laid at the offset the service suggests, ready to hear.',
    ),
    form,
    status,
    h(
      'div',
      { class: 'results-layout' },
      h('section', { 'aria-label': 'Results list' }, resultsList),
      auditionPanel,
    ),
  );
  if (query.get('run') === '1' && query.has('stem')) queueMicrotask(() => void runSearch());

  return {
    element,
    title: 'Search & audition',
    dispose: () => {
      searchAbort?.abort();
      cancelAnimationFrame(frame);
      document.removeEventListener('keydown', onKey);
      window.removeEventListener('resize', onResize);
      if (window.__stemdexAudition) delete window.__stemdexAudition;
      void player.close();
    },
  };
}
