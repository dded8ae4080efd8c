import { randomUUID } from 'node:crypto';
import type { Instrument } from '../instruments.js';
import type { Db } from './database.js';
import { decodeFloat16, decodeFloat32, encodeFloat16, encodeFloat32 } from './float16.js';
import type { ChunkRecord, StemMetadata, StemRecord, UpsertStemInput } from './types.js';

/**
 * SQL access to stems and their chunks. Every mutation runs in one transaction that also bumps
 * the store sequence number, so the ANN snapshot can tell whether it is current.
 */

interface StemRow {
  pk: number;
  id: string;
  catalog: string;
  external_id: string | null;
  instrument: string;
  metadata: string;
  duration_seconds: number;
  chunk_count: number;
  indexed_count: number;
  created_at: string;
  updated_at: string;
}

/** The stem fields search filters need, kept in memory for every live stem. */
export interface StemFacts {
  pk: number;
  catalog: string;
  instrument: Instrument;
  tags: ReadonlySet<string> | null;
  key: string | null;
  bpm: number | null;
  chunkCount: number;
}

export interface IndexedChunk {
  label: number;
  stemPk: number;
  vector: Float32Array;
}

export interface UpsertOutcome {
  record: StemRecord;
  facts: StemFacts;
  /** Non-silent chunks now in the store, to add to the ANN index. */
  added: IndexedChunk[];
  /** Labels of the chunks the upsert replaced, to remove from the ANN index. */
  removed: number[];
}

export class StemTable {
  private readonly db: Db;
  private readonly statements;

  constructor(db: Db) {
    this.db = db;
    this.statements = {
      bumpSequence: db.prepare(
        `INSERT INTO meta (key, value) VALUES ('sequence', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      ),
      sequence: db.prepare(`SELECT value FROM meta WHERE key = 'sequence'`).pluck(),
      byId: db.prepare('SELECT * FROM stems WHERE id = ?'),
      byPk: db.prepare('SELECT * FROM stems WHERE pk = ?'),
      byExternalId: db.prepare('SELECT * FROM stems WHERE catalog = ? AND external_id = ?'),
      insertStem: db.prepare(
        `INSERT INTO stems (id, catalog, external_id, instrument, metadata, duration_seconds, chunk_count, indexed_count, created_at, updated_at)
         VALUES (@id, @catalog, @external_id, @instrument, @metadata, @duration_seconds, @chunk_count, @indexed_count, @created_at, @updated_at)`,
      ),
      updateStem: db.prepare(
        `UPDATE stems SET instrument = @instrument, metadata = @metadata, duration_seconds = @duration_seconds,
         chunk_count = @chunk_count, indexed_count = @indexed_count, updated_at = @updated_at WHERE pk = @pk`,
      ),
      chunkLabels: db.prepare('SELECT id FROM chunks WHERE stem_pk = ? AND silent = 0').pluck(),
      deleteChunks: db.prepare('DELETE FROM chunks WHERE stem_pk = ?'),
      deleteStem: db.prepare('DELETE FROM stems WHERE pk = ?'),
      insertChunk: db.prepare(
        'INSERT INTO chunks (stem_pk, idx, offset_seconds, silent, vector) VALUES (?, ?, ?, ?, ?)',
      ),
      insertPayload: db.prepare('INSERT INTO chunk_payloads (chunk_id, timeline, patches) VALUES (?, ?, ?)'),
      chunksOf: db.prepare(
        `SELECT c.idx, c.offset_seconds, c.silent, c.vector, p.timeline, p.patches
         FROM chunks c JOIN chunk_payloads p ON p.chunk_id = c.id WHERE c.stem_pk = ? ORDER BY c.idx`,
      ),
      chunkHit: db.prepare(
        `SELECT c.idx, c.offset_seconds, p.timeline FROM chunks c JOIN chunk_payloads p ON p.chunk_id = c.id
         WHERE c.id = ?`,
      ),
      vectorOf: db.prepare('SELECT vector FROM chunks WHERE id = ?').pluck(),
      allStems: db.prepare('SELECT pk, catalog, instrument, metadata, chunk_count FROM stems'),
      pkById: db.prepare('SELECT pk FROM stems WHERE id = ?').pluck(),
      pkByExternalId: db.prepare('SELECT pk FROM stems WHERE catalog = ? AND external_id = ?').pluck(),
      allIndexedChunks: db.prepare('SELECT id, stem_pk FROM chunks WHERE silent = 0'),
      indexedChunksOf: db.prepare(
        `SELECT c.id, c.stem_pk, c.vector FROM chunks c JOIN stems s ON s.pk = c.stem_pk
         WHERE s.instrument = ? AND c.silent = 0 ORDER BY c.id`,
      ),
    };
  }

  sequence(): number {
    return Number(this.statements.sequence.get() ?? 0);
  }

  upsert(input: UpsertStemInput, now: string): UpsertOutcome {
    return this.db.transaction((): UpsertOutcome => {
      const externalId = input.externalId ?? null;
      const existing =
        externalId === null
          ? undefined
          : (this.statements.byExternalId.get(input.catalog, externalId) as StemRow | undefined);
      const fields = {
        instrument: input.instrument,
        metadata: JSON.stringify(input.metadata),
        duration_seconds: input.durationSeconds,
        chunk_count: input.chunks.length,
        indexed_count: input.chunks.filter((chunk) => !chunk.silent).length,
        updated_at: now,
      };
      let pk: number;
      let removed: number[] = [];
      if (existing) {
        pk = existing.pk;
        removed = this.statements.chunkLabels.all(pk) as number[];
        this.statements.deleteChunks.run(pk);
        this.statements.updateStem.run({ ...fields, pk });
      } else {
        const info = this.statements.insertStem.run({
          ...fields,
          id: randomUUID(),
          catalog: input.catalog,
          external_id: externalId,
          created_at: now,
        });
        pk = Number(info.lastInsertRowid);
      }
      const added: IndexedChunk[] = [];
      for (const chunk of input.chunks) {
        const info = this.statements.insertChunk.run(
          pk,
          chunk.index,
          chunk.offsetSeconds,
          chunk.silent ? 1 : 0,
          encodeFloat32(chunk.vector),
        );
        const label = Number(info.lastInsertRowid);
        this.statements.insertPayload.run(label, encodeFloat32(chunk.timeline), encodeFloat16(chunk.patches));
        if (!chunk.silent) added.push({ label, stemPk: pk, vector: chunk.vector });
      }
      this.statements.bumpSequence.run();
      const row = this.statements.byPk.get(pk) as StemRow;
      return { record: toRecord(row), facts: toFacts(row), added, removed };
    })();
  }

  /** Returns the removed stem's pk and its indexed chunk labels, or null when unknown. */
  delete(id: string): { pk: number; labels: number[] } | null {
    return this.db.transaction(() => {
      const row = this.statements.byId.get(id) as StemRow | undefined;
      if (!row) return null;
      const labels = this.statements.chunkLabels.all(row.pk) as number[];
      this.statements.deleteStem.run(row.pk);
      this.statements.bumpSequence.run();
      return { pk: row.pk, labels };
    })();
  }

  pkOf(id: string): number | null {
    return (this.statements.pkById.get(id) as number | undefined) ?? null;
  }

  pkOfExternalId(catalog: string, externalId: string): number | null {
    return (this.statements.pkByExternalId.get(catalog, externalId) as number | undefined) ?? null;
  }

  get(id: string): StemRecord | null {
    const row = this.statements.byId.get(id) as StemRow | undefined;
    return row ? toRecord(row) : null;
  }

  getByPk(pk: number): StemRecord | null {
    const row = this.statements.byPk.get(pk) as StemRow | undefined;
    return row ? toRecord(row) : null;
  }

  getByExternalId(catalog: string, externalId: string): StemRecord | null {
    const row = this.statements.byExternalId.get(catalog, externalId) as StemRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Stems after position `after` in insertion order; returns one extra row to detect a next page. */
  list(
    filters: { catalog?: string; catalogs?: readonly string[]; instrument?: Instrument },
    after: number,
    limit: number,
  ) {
    const where = ['pk > ?'];
    const params: Array<string | number> = [after];
    if (filters.catalog !== undefined) {
      where.push('catalog = ?');
      params.push(filters.catalog);
    }
    if (filters.catalogs !== undefined) {
      // No catalogs at all must match nothing, and `IN ()` is not valid SQL.
      where.push(
        filters.catalogs.length === 0 ? '0' : `catalog IN (${filters.catalogs.map(() => '?').join(', ')})`,
      );
      params.push(...filters.catalogs);
    }
    if (filters.instrument !== undefined) {
      where.push('instrument = ?');
      params.push(filters.instrument);
    }
    const rows = this.db
      .prepare(`SELECT * FROM stems WHERE ${where.join(' AND ')} ORDER BY pk LIMIT ?`)
      .all(...params, limit + 1) as StemRow[];
    return {
      rows: rows.slice(0, limit).map((row) => ({ pk: row.pk, record: toRecord(row) })),
      more: rows.length > limit,
    };
  }

  chunks(stemPk: number): ChunkRecord[] {
    const rows = this.statements.chunksOf.all(stemPk) as Array<{
      idx: number;
      offset_seconds: number;
      silent: number;
      vector: Buffer;
      timeline: Buffer;
      patches: Buffer;
    }>;
    return rows.map((row) => ({
      index: row.idx,
      offsetSeconds: row.offset_seconds,
      silent: row.silent === 1,
      vector: decodeFloat32(row.vector),
      timeline: decodeFloat32(row.timeline),
      patches: decodeFloat16(row.patches),
    }));
  }

  chunkHit(label: number): { index: number; offsetSeconds: number; timeline: Float32Array } | null {
    const row = this.statements.chunkHit.get(label) as
      | { idx: number; offset_seconds: number; timeline: Buffer }
      | undefined;
    return row
      ? { index: row.idx, offsetSeconds: row.offset_seconds, timeline: decodeFloat32(row.timeline) }
      : null;
  }

  vector(label: number): Float32Array | null {
    const blob = this.statements.vectorOf.get(label) as Buffer | undefined;
    return blob ? decodeFloat32(blob) : null;
  }

  *allFacts(): IterableIterator<StemFacts> {
    for (const row of this.statements.allStems.iterate() as IterableIterator<StemRow>) yield toFacts(row);
  }

  *allIndexedChunkLabels(): IterableIterator<{ label: number; stemPk: number }> {
    for (const row of this.statements.allIndexedChunks.iterate() as IterableIterator<{
      id: number;
      stem_pk: number;
    }>) {
      yield { label: row.id, stemPk: row.stem_pk };
    }
  }

  *indexedChunksOf(instrument: Instrument): IterableIterator<IndexedChunk> {
    const rows = this.statements.indexedChunksOf.iterate(instrument) as IterableIterator<{
      id: number;
      stem_pk: number;
      vector: Buffer;
    }>;
    for (const row of rows) yield { label: row.id, stemPk: row.stem_pk, vector: decodeFloat32(row.vector) };
  }
}

function toRecord(row: StemRow): StemRecord {
  return {
    id: row.id,
    catalog: row.catalog,
    externalId: row.external_id,
    instrument: row.instrument as Instrument,
    metadata: JSON.parse(row.metadata) as StemMetadata,
    durationSeconds: row.duration_seconds,
    chunkCount: row.chunk_count,
    indexedChunks: row.indexed_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toFacts(
  row: Pick<StemRow, 'pk' | 'catalog' | 'instrument' | 'metadata' | 'chunk_count'>,
): StemFacts {
  const metadata = JSON.parse(row.metadata) as StemMetadata;
  const tags = Array.isArray(metadata.tags)
    ? new Set(metadata.tags.filter((tag): tag is string => typeof tag === 'string'))
    : null;
  return {
    pk: row.pk,
    catalog: row.catalog,
    instrument: row.instrument as Instrument,
    tags,
    key: typeof metadata.key === 'string' ? metadata.key.toLowerCase() : null,
    bpm: typeof metadata.bpm === 'number' && Number.isFinite(metadata.bpm) ? metadata.bpm : null,
    chunkCount: row.chunk_count,
  };
}
