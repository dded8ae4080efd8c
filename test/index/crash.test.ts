import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalCatalog } from '../../src/index/index.js';
import { CRASH_MODEL, crashStem } from './crash-stems.js';
import { seededRandom, temporaryDir } from './fixtures.js';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const ROUNDS = 4;

interface Acknowledgements {
  upserts: Array<{ id: string; version: number }>;
  deleting: Set<string>;
  deleted: Set<string>;
}

/** Runs the writer until it acknowledged `minAcks` upserts, waits `extraMs` more, then SIGKILLs it. */
function runAndKill(
  dataDir: string,
  round: number,
  minAcks: number,
  extraMs: number,
  acks: Acknowledgements,
) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dataDir, String(round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    let stderr = '';
    let roundAcks = 0;
    let killScheduled = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (data: string) => {
      buffered += data;
      const lines = buffered.split('\n');
      buffered = lines.pop()!; // an unterminated line was not fully reported: ignore it
      for (const line of lines) {
        const [kind, id, version] = line.split(' ');
        if (kind === 'ACK') {
          acks.upserts.push({ id, version: Number(version) });
          roundAcks++;
        } else if (kind === 'DELETING') acks.deleting.add(id);
        else if (kind === 'DELETED') acks.deleted.add(id);
      }
      if (roundAcks >= minAcks && !killScheduled) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited on its own (signal ${signal}): ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  const dir = temporaryDir('crash');
  afterAll(() => dir.remove());

  it('keeps every acknowledged stem searchable and no half-written stem visible after kill -9', async () => {
    const random = seededRandom(2024);
    const acks: Acknowledgements = { upserts: [], deleting: new Set(), deleted: new Set() };
    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(dir.path, round, 5 + Math.floor(random() * 40), Math.floor(random() * 30), acks);
    }
    expect(acks.upserts.length).toBeGreaterThan(ROUNDS * 5);

    const catalog = await openLocalCatalog({ dataDir: dir.path, ...CRASH_MODEL });
    try {
      // Every stem in the store is whole: its row, chunk count and chunk contents agree with
      // the version it claims to be.
      const stored = [];
      for (let cursor: string | null = null; ; ) {
        const page = await catalog.listStems({ limit: 100, cursor });
        stored.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      for (const stem of stored) {
        const version = stem.metadata.version as number;
        const expected = crashStem(version);
        expect(stem.chunkCount).toBe(expected.chunks.length);
        const chunks = await catalog.getChunks(stem.id);
        expect(chunks.map((chunk) => chunk.vector)).toEqual(expected.chunks.map((chunk) => chunk.vector));
      }

      // Every acknowledged write is there (or was superseded by a later write of the same external id).
      const latestAck = new Map<string, number>();
      for (const { id, version } of acks.upserts)
        latestAck.set(id, Math.max(version, latestAck.get(id) ?? -1));
      const byId = new Map(stored.map((stem) => [stem.id, stem]));
      for (const [id, version] of latestAck) {
        const stem = byId.get(id);
        if (acks.deleted.has(id)) {
          expect(stem, `deleted stem ${id}`).toBeUndefined();
          continue;
        }
        if (!stem) {
          // Only a delete that started before the kill may have removed it.
          expect(acks.deleting.has(id), `acknowledged stem ${id} v${version} is missing`).toBe(true);
          continue;
        }
        expect(stem.metadata.version as number).toBeGreaterThanOrEqual(version);
        // Searchable: its own first chunk vector finds it first.
        const expected = crashStem(stem.metadata.version as number);
        const [top] = await catalog.search(expected.chunks[0].vector, {
          k: 1,
          instrument: expected.instrument,
        });
        expect(top?.stem.id).toBe(id);
        expect(top.score).toBeCloseTo(1, 5);
      }
      const stats = await catalog.stats();
      expect(stats.stems).toBe(stored.length);
      const chunkTotal = stored.reduce((sum, stem) => sum + stem.chunkCount, 0);
      expect(stats.chunks).toBe(chunkTotal);
      expect(stats.indexSize).toBe(chunkTotal);
    } finally {
      await catalog.close();
    }
  });
});
