/**
 * The level rules both corpus generators (generate.ts, generate-v2.ts) apply to rendered stems:
 * stems stored peak-normalised on the 16-bit grid, per-song random level spread, and the mix
 * gains scaled down together so the mix does not clip. The mix is computed from the stored
 * (quantised) stems, so stems sum to the stored mix.
 */

/** Stems are stored peak-normalised to this level, so 16 bits are used fully. */
export const STEM_PEAK = 0.89;
/** The mix's peak after gains are scaled down to avoid clipping. */
export const MIX_PEAK = 0.89;
/** Per-song random variation of each stem's mix level, in dB. */
export const GAIN_SPREAD_DB = 3;
/** A rendered stem quieter than this is dropped (a part whose notes all fell past the end). */
export const SILENT_STEM_DB = -60;

const INT16_SCALE = 32768;

/**
 * `samples × gain` rounded to the 16-bit grid exactly as the WAV writer does (the product in
 * double precision), so the mix is computed from what is stored.
 */
export function quantise16(samples: Float32Array, gain = 1): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const q = Math.max(-INT16_SCALE, Math.min(INT16_SCALE - 1, Math.round(samples[i] * gain * INT16_SCALE)));
    out[i] = q / INT16_SCALE;
  }
  return out;
}

export function peakOf(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  return peak;
}

export function mixOf(stems: readonly Float32Array[], gains: readonly number[]): Float32Array {
  const mix = new Float32Array(stems[0].length);
  stems.forEach((stem, index) => {
    const gain = gains[index];
    for (let i = 0; i < mix.length; i++) mix[i] += gain * stem[i];
  });
  return mix;
}

/** The mix of the stored stems, with every gain scaled down alike when the mix would peak above MIX_PEAK. */
export function mixBelowPeak(
  stored: readonly Float32Array[],
  gains: readonly number[],
): { gains: number[]; mix: Float32Array } {
  const peak = peakOf(mixOf(stored, gains));
  const limited = peak > MIX_PEAK ? gains.map((gain) => (gain * MIX_PEAK) / peak) : [...gains];
  return { gains: limited, mix: mixOf(stored, limited) };
}
