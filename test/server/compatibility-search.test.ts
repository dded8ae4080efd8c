import { describe, expect, it } from 'vitest';
import type { CatalogStore, SearchHit, SearchOptions, StemRecord } from '../../src/index/types.js';
import { CANDIDATES_PER_RESULT, findCompatibleStems } from '../../src/server/compatibility-search.js';
import type { EmbeddedChunk, TimelineGeometry } from '../../src/server/ports.js';

const geometry: TimelineGeometry = { gridTime: 2, dim: 1, secondsPerStep: 4 };

function stem(id: string): StemRecord {
  return {
    id,
    catalog: 'default',
    externalId: null,
    instrument: 'bass',
    metadata: {},
    durationSeconds: 8,
    chunkCount: 1,
    indexedChunks: 1,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
  };
}

function context(index: number, silent = false): EmbeddedChunk {
  return {
    index,
    offsetSeconds: index * 4,
    padded: false,
    silent,
    vector: Float32Array.of(index),
    timeline: Float32Array.of(1, 1),
    patches: new Float32Array(2),
  };
}

/** A catalog whose search answers from a table: context chunk (its vector's value) → stem scores. */
function scriptedCatalog(table: Record<string, number>[]): CatalogStore & { asked: number[] } {
  const asked: number[] = [];
  const search = async (vector: Float32Array, options: SearchOptions): Promise<SearchHit[]> => {
    asked.push(options.k);
    return Object.entries(table[vector[0]!]!)
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.k)
      .map(([id, score]) => ({
        stem: stem(id),
        score,
        chunk: { index: 0, offsetSeconds: 0, timeline: Float32Array.of(1, 1) },
      }));
  };
  return { search, asked } as unknown as CatalogStore & { asked: number[] };
}

describe('findCompatibleStems', () => {
  it('ranks by the best match averaged over the context chunks, not by one lucky chunk', async () => {
    const catalog = scriptedCatalog([
      { lucky: 0.95, steady: 0.8, other: 0.1 },
      { lucky: 0.2, steady: 0.8, other: 0.3 },
      { lucky: 0.3, steady: 0.7, other: 0.2 },
    ]);
    const results = await findCompatibleStems(catalog, geometry, {
      chunks: [context(0), context(1), context(2), context(3, true)],
      instrument: 'bass',
      k: 3,
    });
    expect(results.map((result) => result.stem.id)).toEqual(['steady', 'lucky', 'other']);
    expect(results[0]!.score).toBeCloseTo((0.8 + 0.8 + 0.7) / 3, 6);
    expect(results[1]!.score).toBeCloseTo((0.95 + 0.2 + 0.3) / 3, 6);
    // The silent chunk is never searched; each search looks deeper than k.
    expect(catalog.asked).toEqual([3, 3, 3].map((k) => k * CANDIDATES_PER_RESULT));
    // The offset still comes from the stem's single best chunk pair.
    expect(results[1]!.match.contextOffsetSeconds).toBe(0);
  });

  it("counts a chunk's weakest candidate for a stem missing from that chunk's candidates", async () => {
    const deep = Object.fromEntries(
      Array.from({ length: CANDIDATES_PER_RESULT }, (_, i) => [`filler-${i}`, 0.9 - i * 0.01]),
    );
    const catalog = scriptedCatalog([
      { ...deep, rare: 0.1 },
      { rare: 0.6, 'filler-0': 0.5 },
    ]);
    const results = await findCompatibleStems(catalog, geometry, {
      chunks: [context(0), context(1)],
      instrument: 'bass',
      k: 1,
    });
    // Chunk 0 returns the four fillers only (k = 1 × 4): `rare` is scored at its floor, 0.87.
    expect(results).toHaveLength(1);
    expect(results[0]!.stem.id).toBe('rare');
    expect(results[0]!.score).toBeCloseTo((0.87 + 0.6) / 2, 6);
  });
});
