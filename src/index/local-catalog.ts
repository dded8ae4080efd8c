import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Instrument } from '../instruments.js';
import { type AnnBuildParams, AnnIndex, DEFAULT_BUILD_PARAMS, DEFAULT_EF_SEARCH } from './ann-index.js';
import { decodeCursor, encodeCursor, filterFingerprint, listFingerprintFields } from './cursor.js';
import { type Db, openDatabase, readMeta, writeMeta } from './database.js';
import { CatalogClosedError, InvalidArgumentError, ModelMismatchError, StemNotFoundError } from './errors.js';
import { SqliteJobStore } from './job-store.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import { type StemFacts, StemTable } from './stem-table.js';
import type {
  CatalogStats,
  CatalogStore,
  ChunkRecord,
  InstrumentStats,
  JobStore,
  ListStemsOptions,
  MetadataFilter,
  SearchHit,
  SearchOptions,
  StemPage,
  StemRecord,
  UpsertStemInput,
} from './types.js';
import { validatePageLimit, validateQuery, validateStem } from './validation.js';

/** The subset of a pino logger the catalog writes to. */
export interface CatalogLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface LocalCatalogOptions {
  dataDir: string;
  /** Embedding dimension; every vector, timeline row and patch row must have it. */
  dim: number;
  /** Identifies the model whose embeddings the catalog holds (e.g. `${name}@${version}`). */
  modelId: string;
  logger?: CatalogLogger;
  /** Snapshot the ANN cache this often when it changed; 0 or absent = only on `snapshot()`/`close()`. */
  snapshotIntervalMs?: number;
  /** HNSW tuning; the defaults suit catalogs up to a few million chunks. */
  ann?: Partial<AnnBuildParams> & { efSearch?: number };
}

/** Chunks fetched per wanted stem in the first ANN pass; widened when stems have many matching chunks. */
const OVERFETCH = 4;

const silentLogger: CatalogLogger = { info() {}, warn() {} };

/**
 * Opens (creating if needed) the catalog under `dataDir`: `catalog.sqlite` is the source of
 * truth; the ANN indexes are loaded from the last snapshot and caught up with the store, or
 * rebuilt from it when the snapshot is missing, damaged or for another model.
 */
export async function openLocalCatalog(options: LocalCatalogOptions): Promise<CatalogStore> {
  return LocalCatalog.open(options);
}

class LocalCatalog implements CatalogStore {
  readonly dim: number;
  readonly modelId: string;
  readonly jobs: JobStore;
  private readonly db: Db;
  private readonly stems: StemTable;
  private readonly logger: CatalogLogger;
  private readonly indexDir: string;
  private readonly dbPath: string;
  private readonly buildParams: AnnBuildParams;
  private readonly efSearch: number;
  private indexes = new Map<Instrument, AnnIndex>();
  /** Stem pk → filterable facts, for every stem in the store. */
  private readonly facts = new Map<number, StemFacts>();
  /** ANN label (chunk id) → stem pk, for every indexed chunk. */
  private readonly labelStem = new Map<number, number>();
  private snapshotSequence: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(options: LocalCatalogOptions, db: Db, dbPath: string) {
    this.dim = options.dim;
    this.modelId = options.modelId;
    this.logger = options.logger ?? silentLogger;
    this.db = db;
    this.dbPath = dbPath;
    this.stems = new StemTable(db);
    this.jobs = new SqliteJobStore(db);
    this.indexDir = join(options.dataDir, 'index');
    this.buildParams = {
      m: options.ann?.m ?? DEFAULT_BUILD_PARAMS.m,
      efConstruction: options.ann?.efConstruction ?? DEFAULT_BUILD_PARAMS.efConstruction,
    };
    this.efSearch = options.ann?.efSearch ?? DEFAULT_EF_SEARCH;
  }

  static open(options: LocalCatalogOptions): LocalCatalog {
    if (!Number.isInteger(options.dim) || options.dim <= 0) {
      throw new InvalidArgumentError(`dim must be a positive integer, got ${options.dim}`);
    }
    const dbPath = join(options.dataDir, 'catalog.sqlite');
    const db = openDatabase(dbPath);
    try {
      bindModel(db, options);
      const catalog = new LocalCatalog(options, db, dbPath);
      catalog.loadIndexes();
      if (options.snapshotIntervalMs && options.snapshotIntervalMs > 0) {
        catalog.timer = setInterval(() => catalog.periodicSnapshot(), options.snapshotIntervalMs);
        catalog.timer.unref();
      }
      return catalog;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async upsertStem(input: UpsertStemInput): Promise<StemRecord> {
    this.assertOpen();
    validateStem(input, this.dim);
    const previous = this.previousFacts(input);
    const outcome = this.stems.upsert(input, new Date().toISOString());
    // The store has committed: from here the ANN cache only mirrors it.
    if (previous) this.removeLabels(previous.instrument, outcome.removed);
    this.facts.set(outcome.facts.pk, outcome.facts);
    const index = this.indexFor(input.instrument);
    for (const chunk of outcome.added) {
      index.add(chunk.label, chunk.vector);
      this.labelStem.set(chunk.label, chunk.stemPk);
    }
    return outcome.record;
  }

  async getStem(id: string): Promise<StemRecord | null> {
    this.assertOpen();
    return this.stems.get(id);
  }

  async getStemByExternalId(catalog: string, externalId: string): Promise<StemRecord | null> {
    this.assertOpen();
    return this.stems.getByExternalId(catalog, externalId);
  }

  async listStems(options: ListStemsOptions): Promise<StemPage> {
    this.assertOpen();
    validatePageLimit(options.limit);
    const filters = { catalog: options.catalog, catalogs: options.catalogs, instrument: options.instrument };
    const fingerprint = filterFingerprint(listFingerprintFields(options));
    const after = options.cursor ? decodeCursor(options.cursor, fingerprint) : 0;
    const page = this.stems.list(filters, after, options.limit);
    const last = page.rows.at(-1);
    return {
      items: page.rows.map((row) => row.record),
      nextCursor: page.more && last ? encodeCursor(last.pk, fingerprint) : null,
    };
  }

  async deleteStem(id: string): Promise<boolean> {
    this.assertOpen();
    const removed = this.stems.delete(id);
    if (!removed) return false;
    const facts = this.facts.get(removed.pk);
    if (facts) this.removeLabels(facts.instrument, removed.labels);
    this.facts.delete(removed.pk);
    return true;
  }

  async getChunks(stemId: string): Promise<ChunkRecord[]> {
    this.assertOpen();
    const pk = this.pkOf(stemId);
    if (pk === null) throw new StemNotFoundError(stemId);
    return this.stems.chunks(pk);
  }

  async search(vector: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    this.assertOpen();
    validateQuery(vector, options, this.dim);
    const index = this.indexes.get(options.instrument);
    if (!index || index.size === 0) return [];

    const accept = this.stemPredicate(options);
    const acceptLabel = (label: number) => {
      const pk = this.labelStem.get(label);
      return pk !== undefined && accept(pk);
    };
    const best = new Map<number, { label: number; distance: number }>();
    for (let fetch = options.k * OVERFETCH; ; fetch *= OVERFETCH) {
      const matches = index.search(vector, fetch, acceptLabel);
      best.clear();
      for (const match of matches) {
        const pk = this.labelStem.get(match.label)!;
        const current = best.get(pk);
        if (!current || match.distance < current.distance) best.set(pk, match);
      }
      // Fewer matches than asked means the filtered population is exhausted.
      if (best.size >= options.k || matches.length < fetch || fetch >= index.size) break;
    }

    const ranked = [...best.entries()].sort((a, b) => a[1].distance - b[1].distance).slice(0, options.k);
    const hits: SearchHit[] = [];
    for (const [pk, match] of ranked) {
      const stem = this.stems.getByPk(pk);
      const chunk = this.stems.chunkHit(match.label);
      if (stem && chunk) hits.push({ stem, score: 1 - match.distance, chunk });
    }
    return hits;
  }

  /** Computed from memory (no table scan): cheap enough for every metrics scrape. */
  async stats(): Promise<CatalogStats> {
    this.assertOpen();
    const byInstrument: Partial<Record<Instrument, InstrumentStats>> = {};
    let chunks = 0;
    for (const facts of this.facts.values()) {
      const entry = byInstrument[facts.instrument] ?? { stems: 0, chunks: 0, indexed: 0, deletedInIndex: 0 };
      byInstrument[facts.instrument] = entry;
      entry.stems++;
      entry.chunks += facts.chunkCount;
      chunks += facts.chunkCount;
    }
    let indexSize = 0;
    for (const [instrument, index] of this.indexes) {
      indexSize += index.size;
      const entry = byInstrument[instrument];
      if (entry) {
        entry.indexed = index.size;
        entry.deletedInIndex = index.deletedCount;
      }
    }
    return {
      stems: this.facts.size,
      chunks,
      byInstrument,
      indexSize,
      sequence: this.stems.sequence(),
      snapshotSequence: this.snapshotSequence,
      storeBytes: fileSize(this.dbPath) + fileSize(`${this.dbPath}-wal`),
    };
  }

  async snapshot(): Promise<void> {
    this.assertOpen();
    this.snapshotIfChanged();
  }

  async compact(): Promise<void> {
    this.assertOpen();
    const rebuilt = this.buildAllIndexes((index) => index === undefined || index.deletedCount > 0);
    for (const [instrument, index] of rebuilt) this.indexes.set(instrument, index);
    for (const [instrument, index] of this.indexes) {
      if (index.size === 0 && !rebuilt.has(instrument)) this.indexes.delete(instrument);
    }
    this.db.pragma('incremental_vacuum');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.writeSnapshotNow();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    try {
      this.snapshotIfChanged();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  // --- ANN cache --------------------------------------------------------------------------

  private loadIndexes(): void {
    for (const facts of this.stems.allFacts()) this.facts.set(facts.pk, facts);
    const storeLabels = new Map<Instrument, Set<number>>();
    for (const { label, stemPk } of this.stems.allIndexedChunkLabels()) {
      this.labelStem.set(label, stemPk);
      const instrument = this.facts.get(stemPk)!.instrument;
      const labels = storeLabels.get(instrument) ?? new Set<number>();
      storeLabels.set(instrument, labels);
      labels.add(label);
    }

    const sequence = this.stems.sequence();
    let snapshot = this.tryReadSnapshot();
    if (snapshot && snapshot.sequence > sequence) {
      // The store is older than the cache (restored from a backup?): chunk ids may have been
      // reused for other vectors, so the graphs cannot be trusted.
      this.logger.warn(
        { sequence, snapshotSequence: snapshot.sequence },
        'catalog: index snapshot is ahead of the store, rebuilding from the store',
      );
      snapshot = null;
    }
    if (!snapshot) {
      this.indexes = this.buildAllIndexes();
      this.logger.info(
        { sequence, vectors: this.labelStem.size },
        'catalog: ANN indexes rebuilt from the store',
      );
      if (this.labelStem.size > 0) this.writeSnapshotNow();
      return;
    }
    this.indexes = snapshot.indexes;
    for (const index of this.indexes.values()) index.efSearch = this.efSearch;
    this.snapshotSequence = snapshot.sequence;
    const { added, removed } = this.catchUp(storeLabels);
    this.logger.info(
      { sequence, snapshotSequence: snapshot.sequence, added, removed },
      'catalog: ANN indexes loaded from snapshot',
    );
    if (added + removed > 0) this.writeSnapshotNow();
  }

  private tryReadSnapshot() {
    try {
      return readSnapshot(this.indexDir, { modelId: this.modelId, dim: this.dim });
    } catch (error) {
      this.logger.warn({ err: error }, 'catalog: index snapshot unusable, rebuilding from the store');
      return null;
    }
  }

  /** Brings snapshot graphs level with the store: adds chunks it lacks, deletes ones the store dropped. */
  private catchUp(storeLabels: Map<Instrument, Set<number>>): { added: number; removed: number } {
    let added = 0;
    let removed = 0;
    for (const [instrument, index] of this.indexes) {
      const wanted = storeLabels.get(instrument) ?? new Set<number>();
      for (const label of index.liveLabels()) {
        if (!wanted.has(label)) {
          index.remove(label);
          removed++;
        }
      }
    }
    for (const [instrument, labels] of storeLabels) {
      const index = this.indexFor(instrument);
      const present = new Set(index.liveLabels());
      for (const label of labels) {
        if (present.has(label)) continue;
        index.add(label, this.stems.vector(label)!);
        added++;
      }
    }
    return { added, removed };
  }

  /** Fresh graphs from the store, for the instruments whose current graph `needsBuild` accepts. */
  private buildAllIndexes(
    needsBuild: (current: AnnIndex | undefined) => boolean = () => true,
  ): Map<Instrument, AnnIndex> {
    const counts = new Map<Instrument, number>();
    for (const pk of this.labelStem.values()) {
      const instrument = this.facts.get(pk)!.instrument;
      counts.set(instrument, (counts.get(instrument) ?? 0) + 1);
    }
    const indexes = new Map<Instrument, AnnIndex>();
    for (const [instrument, count] of counts) {
      if (!needsBuild(this.indexes.get(instrument))) continue;
      const index = this.newIndex(count);
      for (const chunk of this.stems.indexedChunksOf(instrument)) index.add(chunk.label, chunk.vector);
      indexes.set(instrument, index);
    }
    return indexes;
  }

  /** Timer-driven: a failed snapshot (disk full, say) is logged, never thrown into the event loop. */
  private periodicSnapshot(): void {
    try {
      this.snapshotIfChanged();
    } catch (error) {
      this.logger.warn({ err: error }, 'catalog: periodic index snapshot failed');
    }
  }

  private snapshotIfChanged(): void {
    if (this.closed || this.stems.sequence() === this.snapshotSequence) return;
    this.writeSnapshotNow();
  }

  private writeSnapshotNow(): void {
    const sequence = this.stems.sequence();
    writeSnapshot(this.indexDir, { modelId: this.modelId, dim: this.dim }, sequence, this.indexes);
    this.snapshotSequence = sequence;
  }

  private indexFor(instrument: Instrument): AnnIndex {
    let index = this.indexes.get(instrument);
    if (!index) {
      index = this.newIndex();
      this.indexes.set(instrument, index);
    }
    return index;
  }

  private newIndex(capacity?: number): AnnIndex {
    const index = AnnIndex.create(this.dim, capacity, this.buildParams);
    index.efSearch = this.efSearch;
    return index;
  }

  private removeLabels(instrument: Instrument, labels: number[]): void {
    const index = this.indexes.get(instrument);
    for (const label of labels) {
      index?.remove(label);
      this.labelStem.delete(label);
    }
  }

  // --- helpers ----------------------------------------------------------------------------

  private stemPredicate(options: SearchOptions): (pk: number) => boolean {
    const excluded = new Set<number>();
    for (const id of options.excludeStemIds ?? []) {
      const pk = this.pkOf(id);
      if (pk !== null) excluded.add(pk);
    }
    const matchesMetadata = metadataPredicate(options.filter);
    const catalogs = options.catalogs === undefined ? null : new Set(options.catalogs);
    const verdicts = new Map<number, boolean>();
    return (pk) => {
      let verdict = verdicts.get(pk);
      if (verdict === undefined) {
        const facts = this.facts.get(pk);
        verdict =
          facts !== undefined &&
          !excluded.has(pk) &&
          (options.catalog === undefined || facts.catalog === options.catalog) &&
          (catalogs === null || catalogs.has(facts.catalog)) &&
          matchesMetadata(facts);
        verdicts.set(pk, verdict);
      }
      return verdict;
    };
  }

  private pkOf(stemId: string): number | null {
    const row = this.db.prepare('SELECT pk FROM stems WHERE id = ?').pluck().get(stemId) as
      | number
      | undefined;
    return row ?? null;
  }

  private previousFacts(input: UpsertStemInput): StemFacts | null {
    if (input.externalId === undefined || input.externalId === null) return null;
    const pk = this.stems.pkOfExternalId(input.catalog, input.externalId);
    return pk === null ? null : (this.facts.get(pk) ?? null);
  }

  private assertOpen(): void {
    if (this.closed) throw new CatalogClosedError();
  }
}

/** The first open fixes the model; reopening with another one would mix embedding spaces. */
function bindModel(db: Db, options: LocalCatalogOptions): void {
  const storedModel = readMeta(db, 'model_id');
  const storedDim = readMeta(db, 'dim');
  if (storedModel === null || storedDim === null) {
    db.transaction(() => {
      writeMeta(db, 'model_id', options.modelId);
      writeMeta(db, 'dim', String(options.dim));
    })();
    return;
  }
  if (storedModel !== options.modelId || Number(storedDim) !== options.dim) {
    throw new ModelMismatchError(
      { modelId: storedModel, dim: Number(storedDim) },
      { modelId: options.modelId, dim: options.dim },
    );
  }
}

function metadataPredicate(filter: MetadataFilter | undefined): (facts: StemFacts) => boolean {
  if (!filter) return () => true;
  const key = filter.key?.toLowerCase();
  return (facts) =>
    (filter.tags === undefined || filter.tags.every((tag) => facts.tags?.has(tag) ?? false)) &&
    (key === undefined || facts.key === key) &&
    (filter.bpmMin === undefined || (facts.bpm !== null && facts.bpm >= filter.bpmMin)) &&
    (filter.bpmMax === undefined || (facts.bpm !== null && facts.bpm <= filter.bpmMax));
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
