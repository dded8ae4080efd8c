import { listSongs, readSongMeta, type Split } from './corpus.js';

/** Counts that describe a corpus: written to `index.json` after each generation run. */
export interface CorpusSummary {
  generatedAt: string;
  totals: { songs: number; hours: number; stems: number };
  bySplit: Partial<Record<Split, { songs: number; hours: number; songIds: string[] }>>;
  /** Generated songs per style (v1 and v2 `generated` songs). */
  byStyle: Record<string, number>;
  /** v2: songs per source, and MMA songs per groove family. */
  bySource?: Record<string, number>;
  byFamily?: Record<string, number>;
  /** Stems per instrument label. */
  byInstrument: Record<string, number>;
}

function increment(record: Record<string, number>, key: string, by = 1): void {
  record[key] = (record[key] ?? 0) + by;
}

export function summariseCorpus(corpusDir: string): CorpusSummary {
  const summary: CorpusSummary = {
    generatedAt: new Date().toISOString(),
    totals: { songs: 0, hours: 0, stems: 0 },
    bySplit: {},
    byStyle: {},
    byInstrument: {},
  };
  for (const songId of listSongs(corpusDir)) {
    const meta = readSongMeta(corpusDir, songId);
    const hours = meta.durationSeconds / 3600;
    summary.totals.songs++;
    summary.totals.hours += hours;
    summary.totals.stems += meta.stems.length;
    summary.bySplit[meta.split] ??= { songs: 0, hours: 0, songIds: [] };
    const split = summary.bySplit[meta.split]!;
    split.songs++;
    split.hours += hours;
    split.songIds.push(songId);
    if (meta.source) {
      summary.bySource ??= {};
      increment(summary.bySource, meta.source);
    }
    if (meta.mma) {
      summary.byFamily ??= {};
      increment(summary.byFamily, meta.mma.family);
    } else {
      increment(summary.byStyle, meta.style);
    }
    for (const stem of meta.stems) increment(summary.byInstrument, stem.instrument);
  }
  summary.totals.hours = Number(summary.totals.hours.toFixed(2));
  for (const split of Object.values(summary.bySplit)) split.hours = Number(split.hours.toFixed(2));
  return summary;
}
