import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_FRONT_END, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { formatDuration } from '../run/progress.js';
import {
  defaultCorpusDir,
  defaultCorpusV2Dir,
  isSongCurrent,
  listSongs,
  loadSong,
  SPLITS,
  type Split,
  songDir,
  songIdForSeed,
  songsDir,
  splitForSeed,
  splitForSongId,
} from './corpus.js';
import {
  type CacheableFrontEnd,
  cacheableFrontEnd,
  featurePath,
  hasCachedFeatures,
  writeSongFeatures,
} from './feature-cache.js';
import { describeSong, generateSong } from './generate.js';
import { generateV2Song, hasFeatureCache, type SongSource, v2SongId } from './generate-v2.js';
import { loadGrooveLibrary } from './mma-library.js';
import { type CorpusSummary, summariseCorpus } from './summary.js';
import { checkTrainingPool, TEST_SOUNDFONTS, TRAINING_SOUNDFONTS } from './timbre.js';

/**
 * `npm run corpus`: generates (or resumes) a corpus. Finished songs are skipped, so re-running
 * continues where an interrupted run stopped; each worker slot renders one song at a time.
 *
 * - `--format v2` (default): corpus v2 in `$STEMDEX_CACHE_DIR/corpus-v2`: `--mma` MMA songs and
 *   `--generated` generated songs (seeds 0..n-1 of each, interleaved), the held-out-timbre twin of
 *   every test song, and the feature cache of each front end (`--front-end`, default log-mel).
 * - `--format v1`: the original corpus (`--songs` seeds from `--start`, WAV, FluidR3 only).
 * - `--features-only`: builds missing feature caches of the v2 songs on disk (e.g. for a new front end).
 */

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

function splitName(value: string): Split {
  if (!(SPLITS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`one of ${SPLITS.join(', ')}`);
  return value as Split;
}

interface CliOptions {
  format: 'v1' | 'v2';
  mma: number;
  generated: number;
  twins: boolean;
  pool: 'full' | 'test';
  frontEnd: string[];
  featuresOnly: boolean;
  songs: number;
  start: number;
  workers: number;
  split?: Split;
  out?: string;
  minSeconds: number;
  maxSeconds: number;
}

/** index.json is refreshed every this many songs, so an interrupted run still leaves a recent one. */
const INDEX_EVERY = 100;

function writeIndex(corpusDir: string): CorpusSummary {
  const summary = summariseCorpus(corpusDir);
  const path = join(corpusDir, 'index.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(summary, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
  return summary;
}

function removeStaleTempDirs(corpusDir: string): void {
  const dir = songsDir(corpusDir);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.tmp-')) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

async function mainV1(options: CliOptions): Promise<void> {
  const corpusDir = options.out ?? defaultCorpusDir();
  removeStaleTempDirs(corpusDir);
  const seeds: number[] = [];
  for (let seed = options.start; seed < options.start + options.songs; seed++) {
    if (options.split && splitForSeed(seed) !== options.split) continue;
    seeds.push(seed);
  }
  const todo = seeds.filter((seed) => !isSongCurrent(corpusDir, songIdForSeed(seed)));
  console.log(
    `corpus ${corpusDir}: ${seeds.length} songs wanted, ${seeds.length - todo.length} already complete (current generator), ${todo.length} to generate with ${options.workers} worker(s)`,
  );
  const started = performance.now();
  let done = 0;
  let audioSeconds = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const seed = todo[next++];
      const { meta } = await generateSong(corpusDir, seed, {
        durationRange: [options.minSeconds, options.maxSeconds],
      });
      done++;
      audioSeconds += meta.durationSeconds;
      if (done % INDEX_EVERY === 0) writeIndex(corpusDir);
      const minutes = (performance.now() - started) / 60_000;
      const rate = done / minutes;
      const eta = ((todo.length - done) / rate) * 60;
      console.log(
        `[${done}/${todo.length}] ${describeSong(meta)} | ${rate.toFixed(1)} songs/min, ${(audioSeconds / 60 / minutes).toFixed(1)} min audio/min | ETA ${formatDuration(eta)}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.workers) }, worker));
  const minutes = (performance.now() - started) / 60_000;
  const summary = writeIndex(corpusDir);
  console.log(
    `generated ${done} songs (${(audioSeconds / 3600).toFixed(2)} h of audio) in ${minutes.toFixed(1)} min = ${(done / Math.max(minutes, 1e-9)).toFixed(1)} songs/min`,
  );
  console.log(`corpus now: ${JSON.stringify(summary.totals)}`);
}

function frontEndsOf(paths: readonly string[]): CacheableFrontEnd[] {
  if (paths.length === 0) return [cacheableFrontEnd(DEFAULT_FRONT_END)];
  return paths.map((path) => cacheableFrontEnd(JSON.parse(readFileSync(path, 'utf8')) as FrontEndConfig));
}

interface Job {
  source: SongSource;
  seed: number;
  twin: boolean;
  songId: string;
}

/** Seeds of both sources interleaved, each test song followed by its held-out-timbre twin. */
function v2Jobs(options: CliOptions): Job[] {
  const jobs: Job[] = [];
  for (let seed = 0; seed < Math.max(options.mma, options.generated); seed++) {
    for (const source of ['mma', 'generated'] as const) {
      if (seed >= (source === 'mma' ? options.mma : options.generated)) continue;
      const songId = v2SongId(source, seed);
      const split = splitForSongId(songId)!;
      if (
        options.split &&
        split !== options.split &&
        !(options.split === 'heldout_timbre' && split === 'test')
      )
        continue;
      if (options.split !== 'heldout_timbre') jobs.push({ source, seed, twin: false, songId });
      if (options.twins && split === 'test')
        jobs.push({ source, seed, twin: true, songId: `${songId}-timgm` });
    }
  }
  return jobs;
}

function bytesOf(corpusDir: string, songId: string, frontEnds: readonly CacheableFrontEnd[]): number {
  const dir = songDir(corpusDir, songId);
  let bytes = 0;
  for (const file of readdirSync(dir)) bytes += statSync(join(dir, file)).size;
  for (const frontEnd of frontEnds) {
    const path = featurePath(corpusDir, frontEnd, songId);
    if (existsSync(path)) bytes += statSync(path).size;
  }
  return bytes;
}

function mmaVersion(): string {
  try {
    return execFileSync('mma', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    throw new Error('mma is not installed (apt-get install mma, or bash scripts/setup-corpus.sh)');
  }
}

async function mainV2(options: CliOptions): Promise<void> {
  const corpusDir = options.out ?? defaultCorpusV2Dir();
  const frontEnds = frontEndsOf(options.frontEnd);
  if (options.featuresOnly) return buildFeatures(corpusDir, frontEnds);
  const pool = options.pool === 'test' ? TEST_SOUNDFONTS : TRAINING_SOUNDFONTS;
  checkTrainingPool(pool);
  const generateOptions = {
    durationRange: [options.minSeconds, options.maxSeconds] as const,
    pool,
    families: loadGrooveLibrary(),
    frontEnds,
    mmaVersion: mmaVersion(),
  };
  removeStaleTempDirs(corpusDir);
  const jobs = v2Jobs(options);
  const todo = jobs.filter(
    (job) =>
      !isSongCurrent(corpusDir, job.songId) ||
      frontEnds.some((f) => !hasCachedFeatures(corpusDir, f, job.songId)),
  );
  console.log(
    `corpus v2 ${corpusDir}: ${jobs.length} songs wanted (${options.mma} MMA, ${options.generated} generated, twins ${options.twins}), ${jobs.length - todo.length} complete, ${todo.length} to generate with ${options.workers} worker(s); SoundFonts ${pool.map((f) => f.name).join(', ')}; features ${frontEnds.map((f) => f.key).join(', ')}`,
  );
  const started = performance.now();
  let done = 0;
  let audioSeconds = 0;
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const job = todo[next++];
      const { meta } = await generateV2Song(corpusDir, job.source, job.seed, generateOptions, job.twin);
      done++;
      audioSeconds += meta.durationSeconds;
      bytes += bytesOf(corpusDir, job.songId, frontEnds);
      if (done % INDEX_EVERY === 0) writeIndex(corpusDir);
      const minutes = (performance.now() - started) / 60_000;
      const rate = done / minutes;
      const eta = ((todo.length - done) / rate) * 60;
      const stems = meta.stems.map((stem) => `${stem.name}:${stem.timbre?.soundfont}`).join(' ');
      console.log(
        `[${done}/${todo.length}] ${meta.songId} ${meta.split} ${meta.mma?.family ?? meta.style} ${meta.durationSeconds.toFixed(0)}s ${stems} | ${rate.toFixed(2)} songs/min, ${(bytes / done / 1e6).toFixed(1)} MB/song | ETA ${formatDuration(eta)}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.workers) }, worker));
  const minutes = (performance.now() - started) / 60_000;
  const summary = writeIndex(corpusDir);
  console.log(
    `generated ${done} songs (${(audioSeconds / 3600).toFixed(2)} h, ${(bytes / 1e9).toFixed(2)} GB) in ${minutes.toFixed(1)} min = ${(done / Math.max(minutes, 1e-9)).toFixed(2)} songs/min`,
  );
  console.log(`corpus now: ${JSON.stringify(summary.totals)}`);
}

/** Writes the feature cache of every v2 song on disk that lacks one, from its FLAC stems. */
function buildFeatures(corpusDir: string, frontEnds: readonly CacheableFrontEnd[]): void {
  const songIds = listSongs(corpusDir).filter((songId) => hasFeatureCache(splitForSongId(songId)!));
  const started = performance.now();
  let built = 0;
  for (const [index, songId] of songIds.entries()) {
    const missing = frontEnds.filter((frontEnd) => !hasCachedFeatures(corpusDir, frontEnd, songId));
    if (missing.length === 0) continue;
    const { meta, stems } = loadSong(corpusDir, songId);
    for (const frontEnd of missing) {
      writeSongFeatures(
        corpusDir,
        frontEnd,
        songId,
        meta.stems.map((stem) => ({
          header: {
            name: stem.name,
            instrument: stem.instrument,
            instrumentId: stem.instrumentId,
            gain: stem.gain,
          },
          samples: stems.get(stem.name)!,
        })),
      );
    }
    built++;
    const minutes = (performance.now() - started) / 60_000;
    console.log(
      `[${index + 1}/${songIds.length}] features of ${songId} (${(built / minutes).toFixed(1)} songs/min)`,
    );
  }
  console.log(`built the features of ${built} songs; caches ${frontEnds.map((f) => f.key).join(', ')}`);
}

const program = new Command()
  .name('corpus')
  .description('Generate the multitrack training corpus (resumable).')
  .option(
    '--format <v1|v2>',
    'corpus v2 (default) or the original v1',
    (value) => {
      if (value !== 'v1' && value !== 'v2') throw new InvalidArgumentError('v1 or v2');
      return value;
    },
    'v2',
  )
  .option('--mma <n>', 'v2: MMA songs (seeds 0..n-1)', positiveInt, 3400)
  .option('--generated <n>', 'v2: generated songs (seeds 0..n-1)', positiveInt, 3000)
  .option('--no-twins', 'v2: skip the held-out-timbre twins of the test songs')
  .option(
    '--pool <full|test>',
    'v2: SoundFont pool (test: the two small ones setup.sh installs)',
    (value) => {
      if (value !== 'full' && value !== 'test') throw new InvalidArgumentError('full or test');
      return value;
    },
    'full',
  )
  .option(
    '--front-end <file>',
    'v2: FrontEndConfig JSON to cache features for (repeatable; default log-mel)',
    (value, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option('--features-only', 'v2: only build missing feature caches of songs on disk', false)
  .option('--songs <n>', 'v1: number of song seeds to cover', positiveInt, 3000)
  .option('--start <seed>', 'v1: first seed', positiveInt, 0)
  .option('--workers <n>', 'songs rendered concurrently', positiveInt, 1)
  .option('--split <split>', `only songs of this split (${SPLITS.join(', ')})`, splitName)
  .option('--out <dir>', 'corpus folder (default $STEMDEX_CACHE_DIR/corpus-v2, v1: .../corpus)')
  .option('--min-seconds <s>', 'shortest song', positiveInt, 30)
  .option('--max-seconds <s>', 'longest song', positiveInt, 60);

program.parse();
const cliOptions = program.opts<CliOptions>();
(cliOptions.format === 'v1' ? mainV1 : mainV2)(cliOptions).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
