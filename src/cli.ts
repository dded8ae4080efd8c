#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildApp, createLogger, VERSION } from './app.js';
import { keysCommand } from './auth/keys-command.js';
import { type Config, loadConfig, unknownConfigVariables } from './config.js';
import { AudioStore } from './index/audio-store.js';
import { collectAudioFiles } from './ingest/collect-files.js';
import { ingestStem } from './ingest/ingest-stem.js';
import { ProgressBar } from './ingest/progress-bar.js';
import { INSTRUMENTS, type Instrument, isInstrument } from './instruments.js';
import { findCompatibleStems, MAX_RESULTS, parseResultCount } from './server/compatibility-search.js';
import { StemdexClient } from './server/http-client.js';
import { compatibleJson, MetadataSchema } from './server/schemas.js';
import { openCatalog, openEmbeddingModel } from './server/services.js';

/**
 * `stemdex serve | ingest | search | keys`. Ingest and search run in-process against the configured data
 * directory, or against a running server with `--url` (use that while a server owns the data dir:
 * the in-process catalog would not see the server's in-memory index).
 */

function instrumentOption(value: string): Instrument {
  if (!isInstrument(value)) throw new InvalidArgumentError(`expected one of ${INSTRUMENTS.join(', ')}`);
  return value;
}

/** The API's own `k` rule and message, checked before any work in either mode (in-process or --url). */
function resultCount(value: string): number {
  try {
    return parseResultCount(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function jsonObject(value: string): Record<string, unknown> {
  try {
    return MetadataSchema.parse(JSON.parse(value));
  } catch {
    throw new InvalidArgumentError('expected a JSON object');
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  for (const name of unknownConfigVariables()) logger.warn({ variable: name }, 'unknown STEMDEX_ variable');
  const app = await buildApp({ config, logger });
  await app.listen({ host: config.host, port: config.port });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over, exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    app.close().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

interface IngestOptions {
  instrument: Instrument;
  catalog: string;
  externalIdFrom: 'filename' | 'none';
  metadata?: Record<string, unknown>;
  url?: string;
  apiKey?: string;
}

/** In-process commands talk through their output; logs only for errors unless asked for. */
function commandLogger(config: Config) {
  return createLogger({ logLevel: process.env.STEMDEX_LOG_LEVEL === undefined ? 'error' : config.logLevel });
}

const LOCKED_HINT = 'hint: a server owns this data directory; pass --url <server> to go through it.\n';

const MODEL_HINT =
  'hint: STEMDEX_MODEL_DIR must hold manifest.json, encoder.onnx and predictor.onnx (default: models/).\n' +
  '      For development, export the seeded untrained model and point at it:\n' +
  '        npx tsx -e "import(\'./training/export/dev-model.ts\').then((m) => m.ensureDevModel())"\n' +
  '        STEMDEX_MODEL_DIR=.cache/dev-model\n';

/** Files in flight at once: enough to keep the model's micro-batcher fed across files. */
const INGEST_CONCURRENCY = 4;

async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function ingest(config: Config, paths: string[], options: IngestOptions): Promise<number> {
  const files = await collectAudioFiles(paths);
  const stem = (file: string) => ({
    catalog: options.catalog,
    instrument: options.instrument,
    externalId: options.externalIdFrom === 'filename' ? basename(file, extname(file)) : null,
    metadata: { title: basename(file, extname(file)), ...options.metadata },
  });
  const failures: string[] = [];
  let progress: ProgressBar | undefined;
  const ingestAll = async (upload: (file: string) => Promise<unknown>) => {
    progress = new ProgressBar(files.length);
    await forEachConcurrently(files, INGEST_CONCURRENCY, async (file) => {
      const error = await upload(file).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      if (error !== undefined) failures.push(`${file}: ${(error as Error).message}`);
      progress?.tick({ ok: error === undefined, label: basename(file) });
    });
    progress.finish();
  };

  if (options.url !== undefined) {
    const client = new StemdexClient(options.url, options.apiKey);
    await ingestAll(async (file) => client.uploadStem(file, await readFile(file), stem(file)));
  } else {
    const logger = commandLogger(config);
    const model = await openEmbeddingModel(config, { logger });
    try {
      const catalog = await openCatalog(config, model, logger);
      try {
        const audio = new AudioStore(join(config.dataDir, 'audio'));
        const deps = { model, catalog, maxAudioSeconds: config.maxAudioSeconds, audio };
        await ingestAll(async (file) => ingestStem(deps, await readFile(file), stem(file)));
      } finally {
        await catalog.close();
      }
    } finally {
      await model.close();
    }
  }
  for (const failure of failures) process.stderr.write(`failed: ${failure}\n`);
  process.stderr.write(`ingested ${files.length - failures.length} of ${files.length} files\n`);
  return failures.length === 0 ? 0 : 1;
}

interface SearchOptions {
  instrument: Instrument;
  k: number;
  catalog?: string;
  json?: boolean;
  url?: string;
  apiKey?: string;
}

type ResultRow = ReturnType<typeof compatibleJson>[number];

async function search(config: Config, mix: string, options: SearchOptions): Promise<number> {
  const bytes = await readFile(mix);
  let results: ResultRow[];
  if (options.url !== undefined) {
    const client = new StemdexClient(options.url, options.apiKey);
    results = (await client.search(mix, bytes, options)).results;
  } else {
    const logger = commandLogger(config);
    const model = await openEmbeddingModel(config, { logger });
    const catalog = await openCatalog(config, model, logger).catch(async (error: unknown) => {
      await model.close();
      throw error;
    });
    try {
      const context = await model.embedQuery(bytes, options.instrument, {
        maxDurationSeconds: config.maxAudioSeconds,
      });
      results = compatibleJson(
        await findCompatibleStems(catalog, model.geometry, {
          chunks: context.chunks,
          instrument: options.instrument,
          k: options.k,
          catalog: options.catalog,
        }),
      );
    } finally {
      await catalog.close();
      await model.close();
    }
  }
  process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${resultTable(results)}\n`);
  return 0;
}

function resultTable(results: ResultRow[]): string {
  const header = ['#', 'score', 'offset_s', 'stem id', 'external id', 'catalog', 'title'];
  const rows = results.map((result, i) => [
    String(i + 1),
    result.score.toFixed(4),
    result.alignment.offset_seconds.toFixed(2),
    result.stem.id,
    result.stem.external_id ?? '',
    result.stem.catalog,
    typeof result.stem.metadata.title === 'string' ? result.stem.metadata.title : '',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function buildCli(): Command {
  const program = new Command('stemdex')
    .description('Stem-JEPA stem compatibility search: which stems in my catalog fit this mix?')
    .version(VERSION);
  const urlOption = () =>
    new Option('--url <url>', 'call a running stemdex server instead of working in-process');
  const keyOption = () =>
    new Option('--api-key <key>', 'API key for --url (writes; reads too when the server requires it)').env(
      'STEMDEX_API_KEY',
    );

  program
    .command('serve')
    .description('run the HTTP service (configuration from STEMDEX_* environment variables)')
    .action(async () => serve(loadConfig()));

  program
    .command('ingest')
    .description('embed audio files (or folders of them) and add them to the catalog')
    .argument('<paths...>', 'audio files or folders (searched recursively)')
    .requiredOption(
      '--instrument <name>',
      `instrument of every file (${INSTRUMENTS.join(', ')})`,
      instrumentOption,
    )
    .option('--catalog <name>', 'catalog / namespace', 'default')
    .addOption(
      new Option('--external-id-from <source>', 'external id of each stem')
        .choices(['filename', 'none'])
        .default('filename'),
    )
    .option('--metadata <json>', 'JSON metadata applied to every stem', jsonObject)
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (paths: string[], options: IngestOptions) => {
      process.exitCode = await ingest(loadConfig(), paths, options);
    });

  program
    .command('search')
    .description('find catalog stems of an instrument that fit a mix')
    .argument('<mix>', 'the mix audio file')
    .requiredOption('--instrument <name>', 'instrument of the stems wanted', instrumentOption)
    .option('-k, --k <n>', `number of results, 1-${MAX_RESULTS}`, resultCount, 10)
    .option('--catalog <name>', 'only this catalog')
    .option('--json', 'print JSON instead of a table')
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (mix: string, options: SearchOptions) => {
      process.exitCode = await search(loadConfig(), mix, options);
    });

  program.addCommand(keysCommand());
  return program;
}

buildCli()
  .parseAsync()
  .catch((error: unknown) => {
    process.stderr.write(`stemdex: ${error instanceof Error ? error.message : String(error)}\n`);
    const code = (error as { code?: unknown }).code;
    if (code === 'MODEL_LOAD_FAILED') process.stderr.write(MODEL_HINT);
    if (code === 'DATA_DIR_LOCKED') process.stderr.write(LOCKED_HINT);
    process.exit(1);
  });
