/**
 * `npm run bench [-- --only inference,ingest,search,catalogs,http] [--full] [--seconds 2] [--http-seconds 5] [--http-rounds 2] [--model-dir models]`
 *
 * Measures stemdex against the alternatives a JS user would reach for, in one run: onnxruntime-node
 * vs TensorFlow.js on the same network, HNSW vs exact search, micro-batching on vs off over HTTP,
 * plus end-to-end ingestion. Writes `reports/bench.md` (the README's benchmark section) and
 * `reports/bench.json`, and prints each table as it completes. A report, not a test: nothing
 * here passes or fails on a number.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadManifest } from '../src/inference/manifest.js';
import { ensureDevModel } from '../training/export/dev-model.js';
import { type BenchReport, markdownReport, plainTable, type Table } from './report.js';
import { catalogSection } from './sections/catalogs.js';
import { httpSection } from './sections/http.js';
import { inferenceSection } from './sections/inference.js';
import { ingestSection } from './sections/ingest.js';
import { searchSection } from './sections/search.js';

const SECTIONS = ['inference', 'ingest', 'search', 'catalogs', 'http'] as const;
type Section = (typeof SECTIONS)[number];

class UnknownSectionError extends Error {
  readonly code = 'UNKNOWN_BENCH_SECTION';
}

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: SECTIONS.join(',') },
    full: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '2' },
    'http-seconds': { type: 'string', default: '5' },
    'http-rounds': { type: 'string', default: '2' },
    'model-dir': { type: 'string' },
    out: { type: 'string', default: 'reports' },
  },
});

function selectedSections(only: string): Section[] {
  const names = only
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new UnknownSectionError(`unknown section '${name}' (expected ${SECTIONS.join(', ')})`);
  }
  return SECTIONS.filter((section) => names.includes(section));
}

async function modelDir(): Promise<string> {
  if (values['model-dir']) return values['model-dir'];
  return existsSync(join('models', 'manifest.json')) ? 'models' : ensureDevModel();
}

const sections = selectedSections(values.only);
const dir = await modelDir();
const manifest = loadManifest(dir);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const report: BenchReport = {
  startedAt: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: availableParallelism(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  model: {
    dir,
    name: `${manifest.name}@${manifest.version}`,
    status: String(manifest.training.status ?? 'unknown'),
    embeddingDim: manifest.embeddingDim,
  },
  loadAverage: { start: loadavg()[0] ?? 0, end: 0 },
  tables: [],
};

const seconds = Number(values.seconds);
const runners: Record<Section, () => Promise<Table[]>> = {
  inference: () => inferenceSection({ modelDir: dir, manifest, seconds, log }),
  ingest: () => ingestSection({ modelDir: dir, songs: 8, songSeconds: 60, log }),
  search: () => searchSection({ dim: manifest.embeddingDim, full: values.full, log }),
  catalogs: () => catalogSection({ dim: manifest.embeddingDim, vectors: 10_000, log }),
  http: () =>
    httpSection({
      modelDir: dir,
      seconds: Number(values['http-seconds']),
      rounds: Number(values['http-rounds']),
      log,
    }),
};

for (const section of sections) {
  const tables = await runners[section]();
  for (const table of tables) console.log(`\n${plainTable(table)}`);
  report.tables.push(...tables);
}

report.loadAverage.end = loadavg()[0] ?? 0;
mkdirSync(values.out, { recursive: true });
const suffix = sections.length === SECTIONS.length ? '' : `.${sections.join('+')}`;
writeFileSync(join(values.out, `bench${suffix}.md`), markdownReport(report));
writeFileSync(join(values.out, `bench${suffix}.json`), `${JSON.stringify(report, null, 2)}\n`);
log(`wrote ${join(values.out, `bench${suffix}.md`)} and .json`);
