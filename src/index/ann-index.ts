import type { HierarchicalNSW } from 'hnswlib-node';
import hnswlib from 'hnswlib-node';

/**
 * One approximate-nearest-neighbour index (hnswlib HNSW, cosine space) over the chunk vectors
 * of one instrument. Searches always target one instrument, so separate graphs keep every
 * search inside the right population instead of filtering most of a shared graph away.
 *
 * Labels are chunk row ids from the store. Deletes only mark a label (hnswlib cannot unlink a
 * node); `compact()` at catalog level rebuilds a fresh graph without them.
 */

/** Graph build parameters; they are stored in the snapshot file, so they only apply to new graphs. */
export interface AnnBuildParams {
  /** Links per node (hnswlib default 16): more = better recall on hard data, more memory. */
  m: number;
  /** Candidate list while inserting (hnswlib default 200). */
  efConstruction: number;
}

export const DEFAULT_BUILD_PARAMS: AnnBuildParams = { m: 16, efConstruction: 200 };
/** Candidate list while searching, raised to the number of wanted results when that is larger. */
export const DEFAULT_EF_SEARCH = 128;
const INITIAL_CAPACITY = 1024;
/** Fixed so that building the same vectors in the same order gives the same graph. */
const RANDOM_SEED = 100;

export interface AnnMatch {
  label: number;
  /** Cosine distance, 1 - cosine similarity. */
  distance: number;
}

export class AnnIndex {
  readonly dim: number;
  private readonly graph: HierarchicalNSW;
  private readonly deleted: Set<number>;
  private live: number;
  /** Search-time candidate list size; trades latency for recall. */
  efSearch = DEFAULT_EF_SEARCH;

  private constructor(dim: number, graph: HierarchicalNSW, deleted: Set<number>, live: number) {
    this.dim = dim;
    this.graph = graph;
    this.deleted = deleted;
    this.live = live;
  }

  static create(
    dim: number,
    capacity = INITIAL_CAPACITY,
    params: AnnBuildParams = DEFAULT_BUILD_PARAMS,
  ): AnnIndex {
    const graph = new hnswlib.HierarchicalNSW('cosine', dim);
    graph.initIndex({
      maxElements: Math.max(1, capacity),
      m: params.m,
      efConstruction: params.efConstruction,
      randomSeed: RANDOM_SEED,
    });
    return new AnnIndex(dim, graph, new Set(), 0);
  }

  /** Loads a graph written by `write`; `deleted` are the labels it had marked deleted. */
  static read(path: string, dim: number, deleted: number[]): AnnIndex {
    const graph = new hnswlib.HierarchicalNSW('cosine', dim);
    graph.readIndexSync(path);
    const deletedSet = new Set(deleted);
    return new AnnIndex(dim, graph, deletedSet, graph.getCurrentCount() - deletedSet.size);
  }

  get size(): number {
    return this.live;
  }

  get deletedCount(): number {
    return this.deleted.size;
  }

  get capacity(): number {
    return this.graph.getMaxElements();
  }

  /** Labels currently searchable. */
  liveLabels(): number[] {
    return this.graph.getIdsList().filter((label) => !this.deleted.has(label));
  }

  deletedLabels(): number[] {
    return [...this.deleted];
  }

  add(label: number, vector: Float32Array): void {
    if (this.graph.getCurrentCount() >= this.graph.getMaxElements()) {
      this.graph.resizeIndex(this.graph.getMaxElements() * 2);
    }
    this.graph.addPoint(Array.from(vector), label);
    // hnswlib revives a label that was marked deleted: keep the bookkeeping in step.
    this.deleted.delete(label);
    this.live++;
  }

  remove(label: number): void {
    if (this.deleted.has(label)) return;
    this.graph.markDelete(label);
    this.deleted.add(label);
    this.live--;
  }

  search(vector: Float32Array, count: number, accept?: (label: number) => boolean): AnnMatch[] {
    if (this.live === 0 || count <= 0) return [];
    const wanted = Math.min(count, this.live);
    this.graph.setEf(Math.max(this.efSearch, wanted));
    const result = this.graph.searchKnn(Array.from(vector), wanted, accept);
    return result.neighbors.map((label, i) => ({ label, distance: result.distances[i] }));
  }

  write(path: string): void {
    this.graph.writeIndexSync(path);
  }
}
