import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebRoot, WEB_APP_CSP } from '../../src/server/plugins/web-app.js';
import { startApp, tempDir, testConfig } from '../helpers/app.js';
import { makeSong, mixOf, type Song, wavBytes } from '../helpers/songs.js';

/**
 * The web app end to end in headless Debian Chromium (playwright-core, no browser download): the
 * real service on a free port with the shipped model and a temp data dir; stems ingested through
 * the UI; a search whose list must equal the API's answer; playback whose scheduled sources must
 * lay the stem at the offset; a batch job watched to 100 %; a 401 and bad-file errors shown.
 * Screenshots of each screen (desktop and 375 px) go to reports/ui/.
 */

const CHROMIUM = process.env.STEMDEX_CHROMIUM ?? '/usr/bin/chromium';
const API_KEY = 'e2e-test-key-0123456789';
const SONGS = 4;
const SONG_SECONDS = 10;
const SHOTS = join(import.meta.dirname, '..', '..', 'reports', 'ui');
/** Every wait in the browser is bounded: a stuck page fails the test instead of hanging CI. */
const STEP_MS = 30_000;

const dir = tempDir('stemdex-e2e-');
const profile = mkdtempSync(join(tmpdir(), 'stemdex-chromium-'));
let app: FastifyInstance;
let base: string;
let browser: BrowserContext;
let page: Page;
let songs: Song[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} missing: bash scripts/setup.sh installs Debian's chromium`);
  if (!existsSync(join(defaultWebRoot(), 'index.html')))
    throw new Error('web app not built: run npm run build');
  const config = await testConfig(dir.path, { STEMDEX_API_KEYS: API_KEY, STEMDEX_HOST: '127.0.0.1' });
  app = await startApp(config);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  songs = Array.from({ length: SONGS }, (_, i) => makeSong(i, SONG_SECONDS));
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: STEP_MS,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Headless has no user to gesture: let the AudioContext start when the test clicks Play.
      '--autoplay-policy=no-user-gesture-required',
    ],
    viewport: { width: 1280, height: 900 },
  });
  browser.setDefaultTimeout(STEP_MS);
  page = browser.pages()[0] ?? (await browser.newPage());
  // Nothing may be fetched from anywhere but the service itself.
  await browser.route(
    (url) => !url.href.startsWith(base),
    (route) => route.abort(),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(profile, { recursive: true, force: true });
  dir.remove();
});

/** Every form control must have an accessible name (a label, aria-label or aria-labelledby). */
async function expectLabelledControls(name: string): Promise<void> {
  // A string, not a function: it runs in the page, and this file is type-checked without the DOM.
  const unlabelled = await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((control) => control.type !== 'hidden' && control.labels.length === 0
      && !control.getAttribute('aria-label') && !control.getAttribute('aria-labelledby'))
    .map((control) => control.outerHTML)`);
  expect(unlabelled, `${name}: unlabelled controls`).toEqual([]);
}

async function shoot(name: string): Promise<void> {
  await expectLabelledControls(name);
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, `${name}-375.png`), fullPage: true });
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(overflow, `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 900 });
}

function stemFile(song: Song, instrument: 'bass' | 'drums') {
  return {
    name: `song${song.id}-${instrument}.wav`,
    mimeType: 'audio/wav',
    buffer: wavBytes(song.stems[instrument]!),
  };
}

interface Snapshot {
  state: string;
  currentTime: number;
  playing: boolean;
  offsetSeconds: number;
  loop: { start: number; end: number } | null;
  gains: { mix: number; stem: number };
  scheduled: Array<{ track: 'mix' | 'stem'; when: number; offset: number; duration: number }>;
}

const BAD_FILE = {
  name: 'not-audio.wav',
  mimeType: 'audio/wav',
  buffer: Buffer.from('this is not audio at all'),
};

interface SearchBody {
  results: Array<{
    stem: { id: string };
    score: number;
    match: { context_offset_seconds: number };
    alignment: { offset_seconds: number };
  }>;
  error: { code: string; message: string };
}

/** The service's JSON error body. */
const errorCode = async (response: Response) => ((await response.json()) as SearchBody).error.code;

async function apiSearch(
  mix: Buffer,
  fields: Record<string, string>,
): Promise<{ status: number; body: SearchBody }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(mix)]), 'mix.wav');
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const response = await fetch(new URL('/v1/search', base), { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as SearchBody };
}

describe('serving', () => {
  it('serves index.html uncached and hashed assets for a year, both under the strict CSP', async () => {
    const index = await fetch(new URL('/', base));
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toBe(WEB_APP_CSP);
    expect(WEB_APP_CSP).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    const script = /src="\/assets\/([^"]+\.js)"/.exec(html)?.[1];
    expect(script).toMatch(/-[\w-]{8}\.js$/);
    const asset = await fetch(new URL(`/assets/${script}`, base));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    // Read every body: an unread one keeps its connection busy and the server's close waiting.
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const missing = await fetch(new URL('/assets/nope.js', base));
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('NOT_FOUND');
  });
});

describe('the web app in Chromium', () => {
  const pageErrors: string[] = [];

  it('ingests a batch through the UI: 401 without a key, then live progress to 100 %, per-file errors', async () => {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        pageErrors.push(message.text());
    });
    await page.goto(`${base}/#/ingest`);
    await page.getByLabel('Audio files (WAV, FLAC, MP3, Ogg)').setInputFiles([stemFile(songs[0], 'bass')]);
    await page.getByLabel('Instrument').selectOption('bass');
    await page.getByRole('button', { name: 'Upload and ingest' }).click();
    const unauthorized = page.locator('[data-code="UNAUTHORIZED"]');
    await expect.poll(() => unauthorized.count(), { timeout: STEP_MS }).toBe(1);
    expect(await unauthorized.textContent()).toMatch(/API key/);

    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Use', exact: true }).click();
    await page
      .getByLabel('Audio files (WAV, FLAC, MP3, Ogg)')
      .setInputFiles([...songs.map((song) => stemFile(song, 'bass')), BAD_FILE]);
    await page.getByLabel('Catalog', { exact: true }).fill('e2e');
    await page.getByLabel('Tags', { exact: true }).fill('synthetic, e2e');
    await page.getByLabel('Key', { exact: true }).fill('Am');
    await page.getByRole('button', { name: 'Upload and ingest' }).click();
    await page.waitForURL(/#\/jobs\//);
    const percent = page.getByTestId('job-percent');
    await expect.poll(() => percent.textContent(), { timeout: 90_000, interval: 250 }).toBe('100 %');
    expect(await page.getByTestId('job-totals').textContent()).toMatch(/4 done, 1 failed/);
    const failed = page.locator('tr[data-state="failed"]');
    expect(await failed.textContent()).toMatch(/not-audio\.wav[\s\S]*INVALID_AUDIO/);

    // The progress lives in the service: a reload shows the same finished job.
    await page.reload();
    await expect.poll(() => percent.textContent(), { timeout: STEP_MS }).toBe('100 %');
    await shoot('job');
    await page.goto(`${base}/#/ingest`);
    await shoot('ingest');
  }, 180_000);

  it('lists the same ranked stems and offsets as the API, and plays the stem delayed by the offset', async () => {
    const mix = wavBytes(mixOf(songs[0], ['bass']));
    const fields = { instrument: 'bass', k: '4', catalog: 'e2e' };
    await page.goto(`${base}/#/search`);
    await page
      .getByLabel('Mix file (WAV, FLAC, MP3, Ogg)')
      .setInputFiles({ name: 'mix.wav', mimeType: 'audio/wav', buffer: mix });
    await page.getByLabel('Instrument').selectOption('bass');
    await page.getByLabel('Results (k)').fill('4');
    await page.getByLabel('Catalog', { exact: true }).fill('e2e');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const items = page.locator('li.result');
    await expect.poll(() => items.count(), { timeout: 60_000 }).toBe(4);

    const shown = await items.evaluateAll((nodes) =>
      nodes.map((node) => ({
        id: node.getAttribute('data-stem-id'),
        offset: Number(node.getAttribute('data-offset')),
        score: Number(node.getAttribute('data-score')),
      })),
    );
    const api = await apiSearch(mix, fields);
    expect(api.status).toBe(200);
    const expected = (
      api.body.results as Array<{
        stem: { id: string };
        score: number;
        alignment: { offset_seconds: number };
      }>
    ).map((result) => ({ id: result.stem.id, offset: result.alignment.offset_seconds, score: result.score }));
    expect(shown.map((result) => result.id)).toEqual(expected.map((result) => result.id));
    for (const [i, result] of shown.entries()) {
      expect(result.offset).toBeCloseTo(expected[i].offset, 4);
      expect(result.score).toBeCloseTo(expected[i].score, 4);
    }

    // The first result is laid on the mix; play it and read what the audio graph scheduled.
    await expect
      .poll(() => page.getByTestId('now-playing').textContent(), { timeout: STEP_MS })
      .toMatch(/^A: #1 /);
    await page.getByRole('button', { name: 'Play' }).click();
    const snapshot = async () =>
      page.evaluate(() =>
        (globalThis as unknown as { __stemdexAudition?: () => Snapshot }).__stemdexAudition?.(),
      );
    await expect
      .poll(
        async () => {
          const state = await snapshot();
          return (
            state?.state === 'running' &&
            state.playing &&
            state.currentTime > (state.scheduled[0]?.when ?? 1e9)
          );
        },
        { timeout: STEP_MS },
      )
      .toBe(true);
    const played = (await snapshot())!;
    const offset = expected[0].offset;
    expect(played.offsetSeconds).toBeCloseTo(offset, 6);
    const mixSource = played.scheduled.find((source) => source.track === 'mix')!;
    const stemSource = played.scheduled.find((source) => source.track === 'stem')!;
    expect(mixSource.offset).toBe(0);
    // A positive offset delays the stem's start; a negative one starts it that far in.
    expect(stemSource.when - mixSource.when).toBeCloseTo(Math.max(0, offset), 6);
    expect(stemSource.offset).toBeCloseTo(Math.max(0, -offset), 6);

    // Nudge by +10 ms with the keyboard: the stem is rescheduled 10 ms later.
    await page.keyboard.press(']');
    await expect
      .poll(async () => (await snapshot())!.offsetSeconds, { timeout: STEP_MS })
      .toBeCloseTo(offset + 0.01, 6);
    const nudged = (await snapshot())!;
    const lastMix = nudged.scheduled.findLast((source) => source.track === 'mix')!;
    const lastStem = nudged.scheduled.findLast((source) => source.track === 'stem')!;
    const stemStartOnMix = lastMix.offset + (lastStem.when - lastMix.when) - lastStem.offset;
    expect(stemStartOnMix).toBeCloseTo(offset + 0.01, 4);

    // Loop the matched region (L): each pass restarts the mix at the matched chunk of the mix.
    const matchStart = api.body.results[0].match.context_offset_seconds;
    await page.keyboard.press('l');
    await expect.poll(async () => (await snapshot())!.loop?.start, { timeout: STEP_MS }).toBe(matchStart);
    const looped = (await snapshot())!;
    expect(looped.loop!.end).toBeCloseTo(Math.min(matchStart + 8, SONG_SECONDS), 1);
    expect(looped.scheduled.findLast((source) => source.track === 'mix')!.offset).toBeCloseTo(matchStart, 1);
    await page.keyboard.press('l');
    await expect.poll(async () => (await snapshot())!.loop, { timeout: STEP_MS }).toBeNull();

    // Solo the stem, then mute it: the mix goes silent, then both.
    const stemControls = page.locator('.track', { hasText: 'Stem' });
    await stemControls.getByRole('button', { name: 'Solo' }).click();
    expect((await snapshot())!.gains).toEqual({ mix: 0, stem: 1 });
    await stemControls.getByRole('button', { name: 'Mute' }).click();
    expect((await snapshot())!.gains).toEqual({ mix: 0, stem: 0 });
    await stemControls.getByRole('button', { name: 'Mute' }).click();
    await stemControls.getByRole('button', { name: 'Solo' }).click();
    expect((await snapshot())!.gains).toEqual({ mix: 1, stem: 1 });

    // A/B with the next result in one key.
    await page.keyboard.press('b');
    await expect
      .poll(() => page.getByTestId('now-playing').textContent(), { timeout: STEP_MS })
      .toMatch(/^B: #2 /);
    await page.getByRole('button', { name: 'Pause' }).click();
    await shoot('search');
  }, 180_000);

  it('shows the API error code for a file the service cannot decode', async () => {
    await page.goto(`${base}/#/search`);
    await page.getByLabel('Mix file (WAV, FLAC, MP3, Ogg)').setInputFiles(BAD_FILE);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const api = await apiSearch(BAD_FILE.buffer, { instrument: 'bass', k: '10' });
    expect(api.status).toBeGreaterThanOrEqual(400);
    const error = page.locator(`[data-code="${api.body.error.code}"]`);
    await expect.poll(() => error.count(), { timeout: STEP_MS }).toBe(1);
    expect(await error.textContent()).toContain(`HTTP ${api.status}`);
  });

  it('browses with cursor paging, shows a stem, and deletes it after a confirmation', async () => {
    await page.goto(`${base}/#/browse?catalog=e2e&limit=10`);
    const rows = page.locator('[data-testid="stems"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: STEP_MS }).toBe(4);
    await shoot('browse');

    // Two pages of two, forwards and back, by cursor.
    await page.goto(`${base}/#/browse?catalog=e2e&limit=2`);
    await expect.poll(() => rows.count(), { timeout: STEP_MS }).toBe(2);
    const pageOne = await rows.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-stem-id')));
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.locator('caption').textContent(), { timeout: STEP_MS }).toBe('Page 2');
    const pageTwo = await rows.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-stem-id')));
    expect(new Set([...pageOne, ...pageTwo]).size).toBe(4);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => page.locator('caption').textContent(), { timeout: STEP_MS }).toBe('Page 1');

    const first = rows.first();
    const id = await first.getAttribute('data-stem-id');
    const title = await first.getByRole('link').textContent();
    await first.getByRole('link').click();
    await expect.poll(() => page.locator('#stem-title').textContent(), { timeout: STEP_MS }).toBe(title);
    await shoot('stem');

    // "Find compatible stems" runs the search with this stem as the context, its audio as the mix.
    await page.getByLabel('Instrument wanted').selectOption('bass');
    await page.getByRole('button', { name: 'Find compatible stems' }).click();
    await page.waitForURL(/#\/search\?stem=/);
    await expect.poll(() => page.locator('li.result').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('now-playing').textContent(), { timeout: STEP_MS })
      .toMatch(/^A: #1 /);
    await page.goBack();
    await expect.poll(() => page.locator('#stem-title').textContent(), { timeout: STEP_MS }).toBe(title);

    await page.getByRole('button', { name: 'Delete stem…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/#\/browse/);
    await expect.poll(() => page.locator('.flash').textContent(), { timeout: STEP_MS }).toContain('Deleted');
    const gone = await fetch(new URL(`/v1/stems/${id}`, base));
    expect({ status: gone.status, code: await errorCode(gone) }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
    });
    await expect.poll(() => rows.count(), { timeout: STEP_MS }).toBe(3);
    expect(pageErrors).toEqual([]);
  });
});
