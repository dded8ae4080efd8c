import { Command, InvalidArgumentError } from 'commander';
import { formatDuration } from '../run/progress.js';
import { type CliOptions, INDEX_EVERY, removeStaleTempDirs, writeIndex } from './cli-common.js';
import { mainV2 } from './cli-v2.js';
import {
  defaultCorpusDir,
  isSongCurrent,
  SPLITS,
  type Split,
  songIdForSeed,
  splitForSeed,
} from './corpus.js';
import { describeSong, generateSong } from './generate.js';

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
