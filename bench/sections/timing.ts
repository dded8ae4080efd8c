/** Calls `step` repeatedly for about `seconds` after one untimed call; returns calls per second (at least one timed call). */
export async function callsPerSecond(step: () => Promise<unknown>, seconds: number): Promise<number> {
  await step();
  let calls = 0;
  const started = performance.now();
  do {
    await step();
    calls++;
  } while (performance.now() - started < seconds * 1000);
  return calls / ((performance.now() - started) / 1000);
}

/** Deterministic values in [-0.5, 0.5) (an LCG): inputs whose content does not matter, only their size. */
export function seededValues(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296 - 0.5;
  });
}

export { seededRandom } from '../../src/random.js';
