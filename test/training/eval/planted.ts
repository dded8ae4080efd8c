import { chunkSignal } from '../../../src/audio/chunk.js';
import { DEFAULT_FRONT_END, type FrontEndConfig } from '../../../src/audio/frontend-config.js';
import { parseWav } from '../../../src/audio/wav.js';
import type { StemEmbedding } from '../../../src/inference/embedder.js';
import type { Instrument } from '../../../src/instruments.js';
import { seededRandom } from '../../../src/random.js';
import { mixOf } from '../../../training/eval/evaluate.js';
import type { ChunkRanker } from '../../../training/eval/product.js';
import type { SignalChunk, SignalRanker } from '../../../training/eval/signal-rankers.js';
import type { EvalSong, SongSource } from '../../../training/eval/types.js';

/**
 * A tiny corpus with known answers and rankers planted to know them. Songs are seeded noise at
 * 1 kHz (small enough to index every sample position); the planted rankers find where any
 * excerpt of a stem or of a "mix minus stem" comes from by looking its first samples up, so the
 * perfect ranker's vector names the true stem and its timeline encodes absolute song time.
 */

export const RATE = 1000;
export const SONG_SECONDS = 24;
export const BAR_SECONDS = 2;
const INSTRUMENTS: Instrument[] = ['drums', 'bass', 'piano'];
/** Samples looked up to identify a position (noise values: unique with certainty). */
const KEY_SAMPLES = 4;

export function tinySongs(count: number): EvalSong[] {
  const random = seededRandom(7);
  return Array.from({ length: count }, (_, song) => ({
    id: `song-${song}`,
    keyClass: 0,
    tempo: 120,
    barSeconds: BAR_SECONDS,
    stems: INSTRUMENTS.map((instrument) => ({
      name: instrument,
      instrument,
      signal: Float32Array.from({ length: SONG_SECONDS * RATE }, () => 0.2 * (random() - 0.5)),
    })),
  }));
}

export function songSource(songs: EvalSong[]): SongSource {
  const byId = new Map(songs.map((song) => [song.id, song]));
  return { ids: songs.map((song) => song.id), load: (id) => byId.get(id)! };
}

/** Where every sample position of every stem and every "mix minus stem" comes from. */
export class Oracle {
  /** Stem keys, in a fixed order: a planted vector is a one-hot over them. */
  readonly keys: string[] = [];
  private readonly positions = new Map<string, { key: number; sample: number }>();

  constructor(songs: EvalSong[]) {
    for (const song of songs) {
      song.stems.forEach((stem, held) => {
        const key = this.keys.push(`${song.id}/${stem.name}`) - 1;
        this.index(stem.signal, key);
        this.index(mixOf(song.stems.filter((_, i) => i !== held).map((other) => other.signal)), key);
      });
    }
  }

  /** The stem a signal excerpt belongs to (a stem's own, or the one missing from a mix), and its start in the song. */
  locate(samples: Float32Array): { key: number; seconds: number } {
    const found = this.positions.get(fingerprint(samples, 0));
    if (!found) throw new Error('planted ranker: excerpt not from the tiny corpus');
    return { key: found.key, seconds: found.sample / RATE };
  }

  private index(signal: Float32Array, key: number): void {
    for (let sample = 0; sample + KEY_SAMPLES <= signal.length; sample++)
      this.positions.set(fingerprint(signal, sample), { key, sample });
  }
}

function fingerprint(signal: Float32Array, at: number): string {
  return Array.from(signal.subarray(at, at + KEY_SAMPLES), (value) => value.toFixed(7)).join(',');
}

function oneHot(index: number, dim: number): Float32Array {
  const vector = new Float32Array(dim);
  vector[index] = 1;
  return vector;
}

/** Paper / K-way: the perfect ranker names the true stem; `constant` scores every candidate alike. */
export function plantedSignalRanker(
  oracle: Oracle,
  kind: 'perfect' | 'constant',
  name: SignalRanker['name'],
): SignalRanker {
  const dim = oracle.keys.length;
  const embed = (signals: readonly SignalChunk[][]) =>
    Promise.resolve(
      signals.map((chunks) =>
        kind === 'constant' ? oneHot(0, dim) : oneHot(oracle.locate(chunks[0].samples).key, dim),
      ),
    );
  return { name, embedStems: embed, embedQueries: embed };
}

/** The planted front end: 8 s chunks at 1 kHz (only the chunking reads it). */
export const PLANTED_FRONT_END: FrontEndConfig = {
  ...DEFAULT_FRONT_END,
  sampleRate: RATE,
  hopLength: 10,
  chunkFrames: 800,
};
const GRID_TIME = 200;
export const STEP_SECONDS = 0.04;
/** Periods of the planted time code: a fine one for precision, a long one against its ambiguity. */
const PERIODS = [1, 40];

/**
 * Product: through the real catalog, search and alignment code. The chunk vector names the true
 * stem and (more weakly) the chunk's place in the song; the timeline rows encode absolute song
 * time, so the alignment step can find the exact offset.
 */
export function plantedChunkRanker(
  oracle: Oracle,
  kind: 'perfect' | 'constant',
  name: ChunkRanker['name'],
): ChunkRanker {
  const identities = oracle.keys.length;
  const dim = identities + 2 * PERIODS.length;
  const timeCode = (seconds: number, out: Float32Array, weight: number) => {
    PERIODS.forEach((period, i) => {
      out[identities + 2 * i] = weight * Math.cos((2 * Math.PI * seconds) / period);
      out[identities + 2 * i + 1] = weight * Math.sin((2 * Math.PI * seconds) / period);
    });
  };
  const embed = async (bytes: Uint8Array): Promise<StemEmbedding> => {
    const signal = parseWav(bytes).channels[0];
    const chunks = chunkSignal(signal, PLANTED_FRONT_END, { hopSeconds: 4 }).map((chunk) => {
      const vector = new Float32Array(dim);
      const timeline = new Float32Array(GRID_TIME * dim);
      if (kind === 'constant') {
        vector[0] = 1;
        for (let column = 0; column < GRID_TIME; column++) timeline[column * dim] = 1;
      } else {
        const { key, seconds } = oracle.locate(chunk.samples);
        vector[key] = 1;
        timeCode(seconds + 4, vector, 0.3);
        // Padding columns get the time they would have had: the planted ranker knows it exactly.
        for (let column = 0; column < GRID_TIME; column++)
          timeCode(
            seconds + column * STEP_SECONDS,
            timeline.subarray(column * dim, (column + 1) * dim),
            Math.SQRT1_2,
          );
      }
      normalise(vector);
      return { ...chunk, vector, timeline, patches: timeline };
    });
    return { durationSeconds: signal.length / RATE, chunks };
  };
  return {
    name,
    geometry: { gridTime: GRID_TIME, dim, secondsPerStep: STEP_SECONDS },
    embedStem: embed,
    embedQuery: embed,
    close: async () => {},
  };
}

function normalise(vector: Float32Array): void {
  const norm = Math.hypot(...vector);
  for (let i = 0; i < vector.length; i++) vector[i] /= norm;
}
