import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isSilent } from '../../src/audio/chunk.js';
import { meanSquare } from '../../src/audio/level.js';
import { encodeWav } from '../../src/audio/wav.js';
import { instrumentId } from '../../src/instruments.js';
import {
  CORPUS_V2_FORMAT_VERSION,
  GENERATOR_V2_VERSION,
  type SongMeta,
  type StemMeta,
  splitForSongId,
  TIMBRE_TWIN_SUFFIX,
} from './corpus.js';
import { type CacheableFrontEnd, writeSongFeatures } from './feature-cache.js';
import type { MidiEvent } from './midi.js';
import { GAIN_SPREAD_DB, mixBelowPeak, peakOf, quantise16, SILENT_STEM_DB, STEM_PEAK } from './mixdown.js';
import type { GrooveFamily } from './mma-library.js';
import { composeMmaSong, type SourceStem } from './mma-song.js';
import { DRUM_CHANNEL, programName } from './programs.js';
import { publishSong } from './publish-song.js';
import { Rng } from './random.js';
import { renderPerformedSong } from './render-timbres.js';
import { composeSong } from './score.js';
import { planMeta } from './song.js';
import {
  drawSongEffects,
  drawStemTimbre,
  HELD_OUT_SOUNDFONT,
  type SoundFont,
  type StemTimbre,
} from './timbre.js';

const run = promisify(execFile);

/**
 * One corpus v2 song from id to disk: compose (generated or MMA source), draw a timbre per stem,
 * render, normalise, mix, and write FLAC stems, the FLAC mix, meta.json and the song's feature
 * cache into a temporary folder renamed into place when complete. A `-timgm` twin re-renders a
 * test song with the held-out SoundFont: same composition, same settings, other SoundFont.
 */

export type SongSource = 'generated' | 'mma';

export interface GenerateV2Options {
  durationRange: readonly [number, number];
  /** SoundFonts of train/validation/test/held-out-style songs (never the held-out one). */
  pool: readonly SoundFont[];
  families: readonly GrooveFamily[];
  /** Front ends whose feature cache is written with the song. */
  frontEnds: readonly CacheableFrontEnd[];
  sampleRate?: number;
  mmaVersion?: string;
}

/** Mix level (dB) of each label before the per-song spread; the lead voice on top. */
const LEVEL_DB: Record<string, number> = {
  drums: 0,
  bass: -2,
  vocals: -1,
  piano: -4,
  guitar: -4,
  strings: -6,
  synth: -5,
  other: -5,
};

/** Splits whose songs get a feature cache: the ones the training sampler reads. */
export function hasFeatureCache(split: string): boolean {
  return split === 'train' || split === 'validation';
}

export function v2SongId(source: SongSource, seed: number): string {
  return `${source === 'mma' ? 'mma' : 'gen'}-${String(seed).padStart(6, '0')}`;
}

/** The generated source's score as source stems (program and notes on the stem's channel). */
function generatedStems(seed: number, durationRange: readonly [number, number]) {
  const score = composeSong(seed, { durationRange, strictDuration: true });
  const stems: SourceStem[] = score.stems.map((stem) => {
    const events: MidiEvent[] = [{ kind: 'program', time: 0, channel: stem.channel, program: stem.program }];
    for (const note of stem.notes) events.push({ kind: 'note', channel: stem.channel, ...note });
    return {
      name: stem.name,
      instrument: stem.instrument,
      program: stem.program,
      channels: [stem.channel],
      drums: stem.channel === DRUM_CHANNEL,
      events,
      noteCount: stem.notes.length,
    };
  });
  return { plan: score.plan, durationSeconds: score.durationSeconds, stems, mma: undefined };
}

async function composeSource(source: SongSource, seed: number, options: GenerateV2Options) {
  if (source === 'generated') return generatedStems(seed, options.durationRange);
  const song = await composeMmaSong(seed, options.families, options.durationRange);
  const grooves = [...new Set(song.plan.grooves)];
  return {
    plan: song.plan.plan,
    durationSeconds: song.durationSeconds,
    stems: song.stems,
    mma: { family: song.plan.family.id, grooves, version: options.mmaVersion ?? 'unknown' },
  };
}

/** Encodes 16-bit mono signals to FLAC files with one ffmpeg process (bit-exact, no metadata). */
async function writeFlacs(
  dir: string,
  files: readonly { file: string; samples: Float32Array }[],
  sampleRate: number,
) {
  const args = ['-y', '-loglevel', 'error'];
  for (const { file, samples } of files) {
    const wav = join(dir, `${file}.wav`);
    await writeFile(wav, encodeWav([samples], sampleRate, { bitDepth: 16 }));
    args.push('-i', wav);
  }
  files.forEach(({ file }, index) => {
    args.push('-map', `${index}:a`, '-c:a', 'flac', '-compression_level', '8', '-fflags', '+bitexact');
    args.push('-flags:a', '+bitexact', '-map_metadata', '-1', join(dir, file));
  });
  await run('ffmpeg', args, { maxBuffer: 1 << 20 });
  for (const { file } of files) await rm(join(dir, `${file}.wav`));
}

export interface GeneratedV2Song {
  songId: string;
  meta: SongMeta;
  created: boolean;
}

/**
 * Generates song `source`/`seed`, or its held-out-timbre twin with `twin`. Returns without work
 * when the song is already complete under the current generator version.
 */
export async function generateV2Song(
  corpusDir: string,
  source: SongSource,
  seed: number,
  options: GenerateV2Options,
  twin = false,
): Promise<GeneratedV2Song> {
  const baseId = v2SongId(source, seed);
  const songId = twin ? `${baseId}${TIMBRE_TWIN_SUFFIX}` : baseId;
  const split = splitForSongId(songId)!;
  if (twin && splitForSongId(baseId) !== 'test')
    throw new RangeError(`${baseId} is not a test song; only test songs have held-out-timbre twins`);
  const sampleRate = options.sampleRate ?? 16_000;
  const composed = await composeSource(source, seed, options);
  const rng = new Rng(seed).fork(`timbre:${source}`);
  const effects = drawSongEffects(rng);
  // The twin draws exactly what its song draws, then swaps the SoundFont: only the timbre differs.
  const timbres: StemTimbre[] = composed.stems.map((stem) => {
    const timbre = drawStemTimbre(rng.fork(stem.name), options.pool, stem.drums);
    return twin ? { ...timbre, soundfont: HELD_OUT_SOUNDFONT } : timbre;
  });
  const rendered = await renderPerformedSong(
    {
      durationSeconds: composed.durationSeconds,
      stems: composed.stems.map((stem, index) => ({
        name: stem.name,
        drums: stem.drums,
        events: stem.events,
        timbre: timbres[index],
      })),
    },
    effects,
    sampleRate,
  );
  const keptIndex = composed.stems
    .map((_, index) => index)
    .filter((index) => !isSilent(rendered.stems.get(composed.stems[index].name)!, SILENT_STEM_DB));
  const stored = keptIndex.map((index) => {
    const signal = rendered.stems.get(composed.stems[index].name)!;
    return quantise16(signal, STEM_PEAK / peakOf(signal));
  });
  const mixRng = new Rng(seed).fork(`mix:${source}`);
  const drawnGains = keptIndex.map((index) => {
    const level = LEVEL_DB[composed.stems[index].instrument] ?? -4;
    return 10 ** ((level + mixRng.uniform(-GAIN_SPREAD_DB, GAIN_SPREAD_DB)) / 20);
  });
  if (stored.length === 0) throw new RangeError(`${songId}: every stem rendered silent`);
  const { gains, mix } = mixBelowPeak(stored, drawnGains);

  const stems: StemMeta[] = keptIndex.map((index, k) => {
    const stem = composed.stems[index];
    const timbre = timbres[index];
    return {
      name: stem.name,
      file: `${stem.name}.flac`,
      instrument: stem.instrument,
      instrumentId: instrumentId(stem.instrument),
      program: stem.program,
      programName: stem.drums ? `drum kit ${stem.program}` : programName(stem.program),
      channel: stem.channels[0],
      channels: stem.channels,
      gain: gains[k],
      noteCount: stem.noteCount,
      rmsDb: Number((10 * Math.log10(meanSquare(stored[k]) + 1e-24)).toFixed(2)),
      timbre: {
        soundfont: timbre.soundfont.name,
        velocityScale: timbre.velocityScale,
        reverbSend: timbre.reverbSend,
        chorusSend: timbre.chorusSend,
        tiltDb: timbre.tiltDb,
      },
    };
  });
  const meta: SongMeta = {
    formatVersion: CORPUS_V2_FORMAT_VERSION,
    generatorVersion: GENERATOR_V2_VERSION,
    songId,
    seed,
    split,
    ...planMeta(composed.plan, composed.durationSeconds),
    sampleRate,
    stems,
    // Evaluation reads the mixes of held-out songs; training never does, so theirs is not stored.
    ...(split === 'train' ? {} : { mix: { file: 'mix.flac' } }),
    renderer: { name: 'fluidsynth', version: rendered.fluidsynthVersion, soundfont: 'per-stem', sampleRate },
    source,
    ...(composed.mma ? { mma: composed.mma } : {}),
    effects: { ...effects },
    ...(twin ? { twinOf: baseId } : {}),
  };

  const created = await publishSong(corpusDir, songId, async (tempDir) => {
    await writeFlacs(
      tempDir,
      [
        ...stems.map((stem, k) => ({ file: stem.file, samples: stored[k] })),
        ...(meta.mix ? [{ file: meta.mix.file, samples: mix }] : []),
      ],
      sampleRate,
    );
    await writeFile(join(tempDir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
    // Only training and validation draw examples from the cache; evaluation reads audio.
    for (const frontEnd of hasFeatureCache(split) ? options.frontEnds : []) {
      writeSongFeatures(
        corpusDir,
        frontEnd,
        songId,
        stems.map((stem, k) => ({
          header: {
            name: stem.name,
            instrument: stem.instrument,
            instrumentId: stem.instrumentId,
            gain: stem.gain,
          },
          samples: stored[k],
        })),
      );
    }
  });
  return { songId, meta, created };
}
