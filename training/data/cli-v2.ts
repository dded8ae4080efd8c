import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FRONT_END, type FrontEndConfig } from '../../src/audio/frontend-config.js';
import { formatDuration } from '../run/progress.js';
import { type CliOptions, INDEX_EVERY, removeStaleTempDirs, writeIndex } from './cli-common.js';
import { defaultCorpusV2Dir, isSongCurrent, listSongs, loadSong, songDir, splitForSongId } from './corpus.js';
import {
  type CacheableFrontEnd,
  cacheableFrontEnd,
  featurePath,
  hasCachedFeatures,
  writeSongFeatures,
} from './feature-cache.js';
import { generateV2Song, hasFeatureCache, type SongSource, v2SongId } from './generate-v2.js';
import { loadGrooveLibrary } from './mma-library.js';
import { checkTrainingPool, TEST_SOUNDFONTS, TRAINING_SOUNDFONTS } from './timbre.js';

/** `npm run corpus` for corpus v2 (see cli.ts): the song jobs, the run loop and --features-only. */

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

export async function mainV2(options: CliOptions): Promise<void> {
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
