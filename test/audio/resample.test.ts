import { describe, expect, it } from 'vitest';
import { Resampler, resample } from '../../src/audio/index.js';
import { amplitudeAt, decibels, noise, rms, sine, sweep } from './signals.js';

const SECOND = (rate: number) => rate;

describe('resample', () => {
  it('returns the input itself when the rates are equal', () => {
    const signal = noise(1_000, 3);
    expect(resample(signal, 16_000, 16_000)).toBe(signal);
  });

  it.each([
    [44_100, 16_000, 44_100, 16_000],
    [48_000, 16_000, 48_000, 16_000],
    [22_050, 16_000, 22_050, 16_000],
    [8_000, 16_000, 8_000, 16_000],
    [44_100, 16_000, 100, 37], // ceil(100 · 160 / 441)
    [44_101, 16_000, 44_101, 16_000], // no small common divisor: interpolated phases
  ])('%i → %i Hz maps %i samples to %i', (from, to, inputLength, outputLength) => {
    expect(resample(new Float32Array(inputLength), from, to)).toHaveLength(outputLength);
  });

  it.each([44_100, 48_000, 22_050, 44_101, 8_000])(
    'passes a 1 kHz tone from %i Hz within 0.01 dB',
    (from) => {
      const out = resample(sine(1_000, from, SECOND(from)), from, 16_000);
      expect(Math.abs(decibels(amplitudeAt(out, 1_000, 16_000) / 0.5))).toBeLessThan(0.01);
    },
  );

  it('keeps a 7 kHz tone (inside the 7.2 kHz passband) within 0.01 dB at 44.1 kHz → 16 kHz', () => {
    const out = resample(sine(7_000, 44_100, 44_100), 44_100, 16_000);
    expect(Math.abs(decibels(amplitudeAt(out, 7_000, 16_000) / 0.5))).toBeLessThan(0.01);
  });

  // Measured with the default design (0.9 × Nyquist passband, 80 dB Kaiser): the 11 kHz alias at
  // 5 kHz is 104 dB down; the worst tone between 8 and 20 kHz is 81.5 dB down.
  it('attenuates an 11 kHz tone at 44.1 kHz → 16 kHz by at least 80 dB (its alias lands at 5 kHz)', () => {
    const out = resample(sine(11_000, 44_100, 44_100), 44_100, 16_000);
    expect(decibels(amplitudeAt(out, 5_000, 16_000) / 0.5)).toBeLessThan(-80);
  });

  it.each([44_100, 48_000, 22_050, 44_101])(
    'keeps tones from 8 kHz up to Nyquist at %i Hz ≥ 75 dB down',
    (from) => {
      for (let frequency = 8_000; frequency < from / 2; frequency += 750) {
        const out = resample(sine(frequency, from, Math.floor(from / 2)), from, 16_000);
        const alias = Math.abs(((frequency + 8_000) % 16_000) - 8_000);
        expect([frequency, decibels(amplitudeAt(out, alias, 16_000) / 0.5) < -75]).toEqual([frequency, true]);
      }
    },
  );

  it('leaves a sweep above 8 kHz at least 75 dB below a passband tone of the same level', () => {
    const from = 44_100;
    const above = resample(sweep(8_000, 22_000, from, 2 * from), from, 16_000);
    const passband = resample(sine(1_000, from, 2 * from), from, 16_000);
    const margin = 2_000; // skip the filter's edge transients
    const ratio = rms(above, margin, above.length - margin) / rms(passband, margin, passband.length - margin);
    expect(decibels(ratio)).toBeLessThan(-75);
  });

  it('does not create images above the input Nyquist when upsampling 8 kHz → 16 kHz', () => {
    const out = resample(sine(3_000, 8_000, 8_000), 8_000, 16_000);
    expect(decibels(amplitudeAt(out, 5_000, 16_000) / 0.5)).toBeLessThan(-75);
  });

  it('preserves DC exactly enough for silence to stay silent and offsets to stay put', () => {
    const out = resample(new Float32Array(4_410).fill(0.25), 44_100, 16_000);
    const middle = out.subarray(200, out.length - 200);
    for (const value of middle) expect(Math.abs(value - 0.25)).toBeLessThan(1e-6);
  });

  it('introduces no delay: an impulse stays at its time position', () => {
    const impulse = new Float32Array(44_100);
    impulse[22_050] = 1;
    const out = resample(impulse, 44_100, 16_000);
    let peak = 0;
    for (let i = 1; i < out.length; i++) if (out[i] > out[peak]) peak = i;
    expect(peak).toBe(8_000);
  });

  it.each([
    [44_100, 16_000],
    [48_000, 16_000],
    [22_050, 16_000],
    [8_000, 16_000],
    [16_000, 44_100],
  ])('%i → %i Hz: the SIMD kernel matches the scalar loop (across block boundaries)', (from, to) => {
    const simd = new Resampler(from, to);
    const scalar = new Resampler(from, to, undefined, { engine: 'js' });
    expect([simd.engine, scalar.engine]).toEqual(['wasm-simd', 'js']);
    // Long enough for several 16 384-output blocks, with odd lengths at both ends.
    const signal = noise(Math.ceil((70_001 * from) / to), 5, 0.9);
    const fast = simd.process(signal);
    const reference = scalar.process(signal);
    expect(fast.length).toBe(reference.length);
    let maxError = 0;
    for (let i = 0; i < fast.length; i++) maxError = Math.max(maxError, Math.abs(fast[i] - reference[i]));
    expect(maxError).toBeLessThan(1e-5); // float32 sums vs float64 sums
    expect(simd.process(new Float32Array(3))).toEqual(scalar.process(new Float32Array(3)));
  });

  it('uses the scalar loop for interpolated phase tables', () => {
    expect(new Resampler(44_101, 16_000).engine).toBe('js');
  });

  it('rejects non-integer or non-positive rates', () => {
    expect(() => resample(new Float32Array(10), 0, 16_000)).toThrow(RangeError);
    expect(() => resample(new Float32Array(10), 44_100.5, 16_000)).toThrow(RangeError);
    expect(() => new Resampler(44_100, -1)).toThrow(RangeError);
  });
});
