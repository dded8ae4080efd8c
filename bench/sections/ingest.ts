import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { collectAudioFiles } from '../../src/ingest/collect-files.js';
import { ingestStem } from '../../src/ingest/ingest-stem.js';
import type { Instrument } from '../../src/instruments.js';
import { openCatalog, openEmbeddingModel } from '../../src/server/services.js';
import { makeSong, wavBytes } from '../../test/helpers/songs.js';
import { round, type Table } from '../report.js';

const CONCURRENCY = 4;

/**
 * End-to-end ingestion as `stemdex ingest <folder>` runs it in-process: read file, decode,
 * resample, log-mel (audio worker threads), encoder (micro-batched), store + index.
 */
export async function ingestSection(options: {
  modelDir: string;
  songs: number;
  songSeconds: number;
  log: (line: string) => void;
}): Promise<Table[]> {
  const root = mkdtempSync(join(tmpdir(), 'stemdex-bench-ingest-'));
  const folder = join(root, 'stems');
  mkdirSync(folder);
  let audioSeconds = 0;
  for (let id = 0; id < options.songs; id++) {
    for (const [instrument, signal] of Object.entries(makeSong(id, options.songSeconds, 3).stems)) {
      writeFileSync(join(folder, `${id}-${instrument}.wav`), wavBytes(signal));
      audioSeconds += signal.length / 16_000;
    }
  }
  const cores = availableParallelism();
  const config = loadConfig({
    STEMDEX_MODEL_DIR: options.modelDir,
    STEMDEX_DATA_DIR: join(root, 'data'),
    STEMDEX_EXECUTION_PROVIDERS: 'cpu',
    STEMDEX_LOG_LEVEL: 'silent',
    STEMDEX_SNAPSHOT_INTERVAL_MS: '0',
  });
  const logger = pino({ level: 'silent' });
  const model = await openEmbeddingModel(config, { logger });
  try {
    const catalog = await openCatalog(config, model, logger);
    try {
      const files = await collectAudioFiles([folder]);
      options.log(`ingest: ${files.length} files, ${round(audioSeconds / 60, 1)} min of audio`);
      const deps = { model, catalog, maxAudioSeconds: config.maxAudioSeconds };
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < files.length) {
            const file = files[next++] as string;
            const instrument = (/-(\w+)\.wav$/.exec(file)?.[1] ?? 'other') as Instrument;
            await ingestStem(deps, readFileSync(file), {
              catalog: 'bench',
              externalId: null,
              instrument,
              metadata: {},
            });
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const stats = await catalog.stats();
      const realTime = audioSeconds / seconds;
      return [
        {
          title: 'End-to-end ingestion (folder of generated stems)',
          columns: ['files', 'audio min', 'wall s', 'chunks', '× real time', 'audio h per hour per core'],
          rows: [
            [
              files.length,
              round(audioSeconds / 60, 1),
              round(seconds, 1),
              stats.chunks,
              `${round(realTime, 1)}×`,
              round(realTime / cores, 1),
            ],
          ],
          notes: [
            `${options.songs} generated songs × 4 stems × ${options.songSeconds} s, 16 kHz 16-bit WAV; ${CONCURRENCY} files in flight (as \`stemdex ingest\`); default service settings (4 s hop, micro-batching on); per core = divided by the machine's ${cores} cores.`,
          ],
        },
      ];
    } finally {
      await catalog.close();
    }
  } finally {
    await model.close();
    rmSync(root, { recursive: true, force: true });
  }
}
