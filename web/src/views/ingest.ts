import { ApiError, INSTRUMENTS, type Job, requestJson } from '../api';
import { errorView, field, h, loading, replace, select } from '../dom';
import type { View } from './view';

const JOBS_STORAGE = 'stemdex.jobs';
const POLL_MS = 500;
const MAX_REMEMBERED_JOBS = 20;
const AUDIO_FILE = /\.(wav|flac|mp3|ogg|oga)$/i;

/** What the browser remembers of a job it submitted, so progress survives a reload. */
interface RememberedJob {
  id: string;
  files: string[];
  submittedAt: string;
}

function rememberedJobs(): RememberedJob[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(JOBS_STORAGE) ?? '[]');
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function remember(job: RememberedJob): void {
  const jobs = [job, ...rememberedJobs().filter((other) => other.id !== job.id)].slice(
    0,
    MAX_REMEMBERED_JOBS,
  );
  localStorage.setItem(JOBS_STORAGE, JSON.stringify(jobs));
}

function metadataFrom(tags: string, key: string, bpm: string, extra: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = extra.trim() ? JSON.parse(extra) : {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new Error('extra metadata must be a JSON object');
  }
  const tagList = tags
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
  if (tagList.length) metadata.tags = tagList;
  if (key.trim()) metadata.key = key.trim();
  if (bpm) metadata.bpm = Number(bpm);
  return metadata;
}

export function ingestView(): View {
  const files = h('input', {
    type: 'file',
    name: 'files',
    multiple: true,
    accept: 'audio/*,.wav,.flac,.mp3,.ogg',
    required: true,
  });
  // A folder picker too: a newcomer's stems usually sit in one folder. Only audio files are taken.
  const folder = h('input', { type: 'file', name: 'folder', webkitdirectory: true, multiple: true });
  let picked: 'files' | 'folder' = 'files';
  files.addEventListener('change', () => {
    picked = 'files';
  });
  folder.addEventListener('change', () => {
    picked = 'folder';
  });
  const instrument = select('instrument', INSTRUMENTS, '', 'Choose…');
  instrument.required = true;
  const catalog = h('input', { name: 'catalog', placeholder: 'default' });
  const externalIds = select('external_id_from', ['filename', 'none'], 'filename');
  const tags = h('input', { name: 'tags', placeholder: 'house, dry' });
  const key = h('input', { name: 'key', placeholder: 'A minor' });
  const bpm = h('input', { name: 'bpm', type: 'number', min: 1, max: 1000, step: 'any' });
  const extra = h('textarea', { name: 'metadata', rows: 2, placeholder: '{"label": "Night Loops"}' });
  const uploadStatus = h('div', { 'aria-live': 'polite' });
  const drop = h(
    'div',
    { class: 'drop' },
    field('Audio files (WAV, FLAC, MP3, Ogg)', files, 'pick many, or drop them here'),
  );
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer?.files.length) files.files = event.dataTransfer.files;
  });

  const uploadForm = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'upload-title' },
    h('h3', { id: 'upload-title' }, 'Upload files'),
    drop,
    field('Or a whole folder', folder, 'its WAV, FLAC, MP3 and Ogg files'),
    h(
      'div',
      { class: 'grid' },
      field('Instrument', instrument),
      field('Catalog', catalog, 'default: "default"'),
      field('External ids', externalIds, 'from the file name: uploading again replaces'),
      field('Tags', tags, 'comma-separated'),
      field('Key', key),
      field('BPM', bpm),
    ),
    field('More metadata (JSON object, applied to every file)', extra),
    h('button', { type: 'submit', class: 'primary' }, 'Upload and ingest'),
    uploadStatus,
  );
  uploadForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen =
      picked === 'folder'
        ? [...(folder.files ?? [])].filter((file) => AUDIO_FILE.test(file.name))
        : [...(files.files ?? [])];
    if (chosen.length === 0) {
      replace(
        uploadStatus,
        errorView(new ApiError(0, 'MISSING_FILE', 'choose audio files or a folder of them'), 'The upload'),
      );
      return;
    }
    const data = new FormData();
    try {
      data.append('instrument', instrument.value);
      if (catalog.value.trim()) data.append('catalog', catalog.value.trim());
      data.append('external_id_from', externalIds.value);
      const metadata = metadataFrom(tags.value, key.value, bpm.value, extra.value);
      if (Object.keys(metadata).length) data.append('metadata', JSON.stringify(metadata));
    } catch (error) {
      replace(uploadStatus, errorView(error, 'Reading the metadata'));
      return;
    }
    for (const file of chosen) data.append('files', file, file.name);
    replace(uploadStatus, loading(`Uploading ${chosen.length} file${chosen.length === 1 ? '' : 's'}…`));
    try {
      const job = await requestJson<Job>('/v1/ingest', { method: 'POST', form: data });
      remember({ id: job.id, files: chosen.map((file) => file.name), submittedAt: new Date().toISOString() });
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (error) {
      replace(uploadStatus, errorView(error, 'The upload'));
    }
  });

  const manifest = h('textarea', {
    name: 'manifest',
    rows: 6,
    spellcheck: 'false',
    placeholder: '{"instrument": "drums", "catalog": "loops", "items": [{"path": "drums/loop-01.wav"}]}',
  });
  const manifestStatus = h('div', { 'aria-live': 'polite' });
  const manifestForm = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'manifest-title' },
    h('h3', { id: 'manifest-title' }, 'Manifest of server-side files'),
    field('JSON manifest', manifest, 'paths are relative to the server’s STEMDEX_INGEST_ROOT'),
    h('button', { type: 'submit' }, 'Submit manifest'),
    manifestStatus,
  );
  manifestForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    let body: { items?: Array<{ path?: string }> };
    try {
      body = JSON.parse(manifest.value);
    } catch (error) {
      replace(manifestStatus, errorView(error, 'Reading the manifest'));
      return;
    }
    replace(manifestStatus, loading('Submitting…'));
    try {
      const job = await requestJson<Job>('/v1/ingest', { method: 'POST', json: body });
      const names = Array.isArray(body.items) ? body.items.map((item) => String(item?.path ?? '')) : [];
      remember({ id: job.id, files: names, submittedAt: new Date().toISOString() });
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (error) {
      replace(manifestStatus, errorView(error, 'The manifest'));
    }
  });

  const recent = rememberedJobs();
  const element = h(
    'section',
    { class: 'view', 'aria-labelledby': 'ingest-title' },
    h('h2', { id: 'ingest-title' }, 'Ingest'),
    h('div', { class: 'two' }, uploadForm, manifestForm),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'recent-title' },
      h('h3', { id: 'recent-title' }, 'Recent jobs in this browser'),
      recent.length === 0
        ? h('p', { class: 'muted' }, 'No jobs yet.')
        : h(
            'ul',
            {},
            recent.map((job) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { href: `#/jobs/${encodeURIComponent(job.id)}` },
                  `${job.files.length} file${job.files.length === 1 ? '' : 's'}, ${new Date(job.submittedAt).toLocaleString()}`,
                ),
              ),
            ),
          ),
    ),
  );
  return { element, title: 'Ingest' };
}

/** Live progress of one job, read from GET /v1/jobs/:id: works after a reload or from a shared link. */
export function jobView(id: string): View {
  const known = rememberedJobs().find((job) => job.id === id);
  const progress = h('progress', { max: 100, value: 0, 'aria-labelledby': 'job-percent' });
  const percent = h('output', { id: 'job-percent', 'data-testid': 'job-percent' }, '0 %');
  const totals = h('p', { 'data-testid': 'job-totals', 'aria-live': 'polite' });
  const problem = h('div', { 'aria-live': 'assertive' });
  const table = h('tbody');
  let timer: number | undefined;
  let stopped = false;

  function render(job: Job): void {
    const { total, done, failed, running, pending } = job.totals;
    const value = total === 0 ? 100 : Math.round(((done + failed) / total) * 100);
    progress.value = value;
    percent.textContent = `${value} %`;
    replace(
      totals,
      `${job.state === 'completed' ? 'Finished' : job.state === 'running' ? 'Running' : 'Queued'}: ${done} done, ${failed} failed, ${running} running, ${pending} waiting, of ${total}.`,
    );
    const failures = new Map(job.errors.map((error) => [error.position, error]));
    const names = known?.files ?? [];
    const rows = Array.from({ length: total }, (_, position) => {
      const failure = failures.get(position);
      const name = failure?.file ?? names[position] ?? `file ${position + 1}`;
      const state = failure ? 'failed' : job.state === 'completed' ? 'done' : 'waiting or running';
      return h(
        'tr',
        { 'data-state': failure ? 'failed' : state === 'done' ? 'done' : 'pending' },
        h('td', { 'data-label': '#' }, String(position + 1)),
        h('td', { 'data-label': 'File' }, name),
        h('td', { 'data-label': 'Status' }, state),
        h(
          'td',
          { 'data-label': 'Error' },
          failure && h('span', {}, h('span', { class: 'code' }, failure.code), ' ', failure.message),
        ),
      );
    });
    replace(table, rows);
  }

  async function poll(): Promise<void> {
    if (stopped) return;
    try {
      const job = await requestJson<Job>(`/v1/jobs/${encodeURIComponent(id)}`);
      replace(problem);
      render(job);
      if (job.state === 'completed') return;
      timer = window.setTimeout(poll, POLL_MS);
    } catch (error) {
      replace(problem, errorView(error, 'Reading the job'));
      // Keep trying (the service may be restarting), more slowly, unless the job does not exist.
      if ((error as { status?: number }).status !== 404) timer = window.setTimeout(poll, POLL_MS * 6);
    }
  }
  void poll();

  const element = h(
    'section',
    { class: 'view', 'aria-labelledby': 'job-title' },
    h('h2', { id: 'job-title' }, 'Ingestion job'),
    h(
      'p',
      { class: 'muted' },
      'Job ',
      h('code', {}, id),
      ' · this page reads the job from the service, so it survives a reload.',
    ),
    h('div', { class: 'progress' }, progress, percent),
    totals,
    problem,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'cards' },
        h('caption', {}, 'Files'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, '#'),
            h('th', { scope: 'col' }, 'File'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Error'),
          ),
        ),
        table,
      ),
    ),
    h(
      'p',
      {},
      h('a', { href: '#/ingest' }, 'Ingest more'),
      ' · ',
      h('a', { href: '#/browse' }, 'Browse the catalog'),
    ),
  );
  return {
    element,
    title: 'Ingestion job',
    dispose: () => {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}
