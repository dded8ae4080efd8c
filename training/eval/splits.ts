import { corpusSongSource, listSplitSongs } from './corpus-source.js';
import { REAL_SONGS_SPLIT, RealSongsMissingError, realSongSource } from './real-songs.js';
import type { SongSource } from './types.js';

/**
 * Every split `npm run eval` evaluates: the corpus's test and held-out splits, validation, and the
 * human-composed real songs. A split with no songs is reported absent (with why), never as zeros.
 */
export const EVAL_SPLITS = [
  'test',
  'heldout_style',
  'heldout_timbre',
  'validation',
  REAL_SONGS_SPLIT,
] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export type SplitAvailability = { present: true; songs: number } | { present: false; reason: string };

export interface SplitSources {
  corpusDir: string;
  /** Cache folder for the rendered real songs. */
  realSongsCacheDir: string;
  sampleRate: number;
}

/** The split's songs (at most `maxSongs`, evenly spaced), or why it cannot be evaluated. */
export function openSplit(
  split: EvalSplit,
  sources: SplitSources,
  maxSongs?: number,
): { source: SongSource } | { absent: string } {
  if (split === REAL_SONGS_SPLIT) {
    try {
      return {
        source: realSongSource({
          cacheDir: sources.realSongsCacheDir,
          sampleRate: sources.sampleRate,
          maxSongs,
        }),
      };
    } catch (error) {
      if (error instanceof RealSongsMissingError) return { absent: error.message };
      throw error;
    }
  }
  if (listSplitSongs(sources.corpusDir, split).length === 0) {
    return {
      absent: `no songs of split ${split} in ${sources.corpusDir} (generate them with npm run corpus)`,
    };
  }
  return { source: corpusSongSource(sources.corpusDir, split, sources.sampleRate, maxSongs) };
}
