/**
 * Mulberry32: a tiny, fast generator fully determined by its 32-bit seed. Everything in stemdex
 * that must be reproducible — weight initialisation, synthetic test signals, evaluation baselines,
 * benchmark data — draws from one of these, so a seed means the same numbers everywhere.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
