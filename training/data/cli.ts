import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { formatDuration } from '../run/progress.js';
import {
  defaultCorpusDir,
  isSongCurrent,
  SPLITS,
  type Split,
  songIdForSeed,
  songsDir,
  splitForSeed,
} from './corpus.js';
import { describeSong, generateSong } from './generate.js';
import { type CorpusSummary, summariseCorpus } from './summary.js';

/**
 * `npm run corpus -- --songs 3000 --workers 2`: generates (or resumes) the corpus. Songs are
 * seeds `start .. start+songs-1`; finished songs are skipped, so re-running continues where an
 * interrupted run stopped. Each worker slot runs one fluidsynth process at a time.
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
  songs: number;
  start: number;
  workers: number;
  split?: Split;
  out: string;
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

async function main(options: CliOptions): Promise<void> {
  const corpusDir = options.out;
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

const program = new Command()
  .name('corpus')
  .description('Generate the multitrack training corpus (resumable).')
  .option('--songs <n>', 'number of song seeds to cover', positiveInt, 3000)
  .option('--start <seed>', 'first seed', positiveInt, 0)
  .option('--workers <n>', 'songs rendered concurrently', positiveInt, 1)
  .option('--split <split>', `only songs of this split (${SPLITS.join(', ')})`, splitName)
  .option('--out <dir>', 'corpus folder', defaultCorpusDir())
  .option('--min-seconds <s>', 'shortest song', positiveInt, 30)
  .option('--max-seconds <s>', 'longest song', positiveInt, 60);

program.parse();
main(program.opts<CliOptions>()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
