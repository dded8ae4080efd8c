/**
 * Waveform and spectrogram pictures of decoded audio on a shared timeline, so the mix and a stem
 * laid at its offset line up column for column, with the matched region marked on both.
 */

export interface Timeline {
  /** Mix-timeline seconds at the left and right edges. */
  start: number;
  end: number;
}

export interface Region {
  start: number;
  end: number;
}

const FFT_SIZE = 512;
const BANDS = 48;
/** Levels this far below the loudest band are drawn black. */
const DYNAMIC_RANGE_DB = 70;

function mono(buffer: AudioBuffer): Float32Array {
  const out = new Float32Array(buffer.length);
  for (let channel = 0; channel < buffer.numberOfChannels; channel++) {
    const data = buffer.getChannelData(channel);
    for (let i = 0; i < data.length; i++) out[i] += data[i] / buffer.numberOfChannels;
  }
  return out;
}

function prepare(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext('2d')!;
  context.clearRect(0, 0, width, height);
  return context;
}

/** Sample range of the buffer under pixel column `x`, with the buffer laid at `offset`. */
function columnSpan(x: number, width: number, timeline: Timeline, offset: number, rate: number) {
  const span = timeline.end - timeline.start;
  const t0 = timeline.start + (x / width) * span - offset;
  const t1 = timeline.start + ((x + 1) / width) * span - offset;
  return { from: Math.floor(t0 * rate), to: Math.ceil(t1 * rate) };
}

function markRegion(context: CanvasRenderingContext2D, timeline: Timeline, region: Region | null): void {
  if (!region) return;
  const { width, height } = context.canvas;
  const span = timeline.end - timeline.start;
  const x0 = ((region.start - timeline.start) / span) * width;
  const x1 = ((region.end - timeline.start) / span) * width;
  context.fillStyle = 'rgba(250, 204, 21, 0.28)';
  context.fillRect(x0, 0, x1 - x0, height);
  context.strokeStyle = '#ca8a04';
  context.lineWidth = 2;
  context.strokeRect(x0, 1, x1 - x0, height - 2);
}

export function drawWaveform(
  canvas: HTMLCanvasElement,
  buffer: AudioBuffer,
  offset: number,
  timeline: Timeline,
  region: Region | null,
  color: string,
): void {
  const context = prepare(canvas);
  const { width, height } = canvas;
  const samples = mono(buffer);
  context.fillStyle = color;
  for (let x = 0; x < width; x++) {
    const { from, to } = columnSpan(x, width, timeline, offset, buffer.sampleRate);
    let low = 0;
    let high = 0;
    for (let i = Math.max(0, from); i < Math.min(samples.length, to); i++) {
      if (samples[i] < low) low = samples[i];
      if (samples[i] > high) high = samples[i];
    }
    const y0 = ((1 - high) / 2) * height;
    const y1 = ((1 - low) / 2) * height;
    context.fillRect(x, y0, 1, Math.max(1, y1 - y0));
  }
  markRegion(context, timeline, region);
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float32Array, im: Float32Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const angle = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const cos = Math.cos(angle * k);
        const sin = Math.sin(angle * k);
        const a = start + k;
        const b = a + size / 2;
        const tr = re[b] * cos - im[b] * sin;
        const ti = re[b] * sin + im[b] * cos;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Log-frequency bands (40 Hz … Nyquist) as FFT bin ranges. */
function bandEdges(rate: number): number[] {
  const low = Math.log(40);
  const high = Math.log(rate / 2);
  return Array.from({ length: BANDS + 1 }, (_, i) =>
    Math.min(
      FFT_SIZE / 2,
      Math.max(1, Math.round((Math.exp(low + ((high - low) * i) / BANDS) / (rate / 2)) * (FFT_SIZE / 2))),
    ),
  );
}

export function drawSpectrogram(
  canvas: HTMLCanvasElement,
  buffer: AudioBuffer,
  offset: number,
  timeline: Timeline,
  region: Region | null,
): void {
  const context = prepare(canvas);
  const { width, height } = canvas;
  const samples = mono(buffer);
  const edges = bandEdges(buffer.sampleRate);
  // Band levels in dB per column first, then coloured relative to the loudest: quiet stems and
  // loud mixes both use the whole colour range.
  const levels = new Float32Array(width * BANDS).fill(Number.NEGATIVE_INFINITY);
  const re = new Float32Array(FFT_SIZE);
  const im = new Float32Array(FFT_SIZE);
  let loudest = Number.NEGATIVE_INFINITY;
  for (let x = 0; x < width; x++) {
    const { from, to } = columnSpan(x, width, timeline, offset, buffer.sampleRate);
    const centre = Math.floor((from + to) / 2) - FFT_SIZE / 2;
    if (centre + FFT_SIZE <= 0 || centre >= samples.length) continue;
    for (let i = 0; i < FFT_SIZE; i++) {
      const sample = samples[centre + i] ?? 0;
      re[i] = sample * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FFT_SIZE - 1)));
      im[i] = 0;
    }
    fft(re, im);
    for (let band = 0; band < BANDS; band++) {
      let energy = 0;
      const last = Math.max(edges[band], edges[band + 1] - 1);
      for (let bin = edges[band]; bin <= last; bin++) energy += re[bin] * re[bin] + im[bin] * im[bin];
      const db = 10 * Math.log10(energy / (last - edges[band] + 1) + 1e-12);
      levels[x * BANDS + band] = db;
      if (db > loudest) loudest = db;
    }
  }
  const image = context.createImageData(width, height);
  for (let x = 0; x < width; x++) {
    for (let band = 0; band < BANDS; band++) {
      const db = levels[x * BANDS + band];
      const level = Number.isFinite(db)
        ? Math.min(1, Math.max(0, (db - loudest + DYNAMIC_RANGE_DB) / DYNAMIC_RANGE_DB))
        : 0;
      const y0 = Math.floor(((BANDS - band - 1) / BANDS) * height);
      const y1 = Math.floor(((BANDS - band) / BANDS) * height);
      for (let y = y0; y < y1; y++) {
        const at = (y * width + x) * 4;
        image.data[at] = Math.round(255 * Math.min(1, level * 1.6));
        image.data[at + 1] = Math.round(255 * Math.max(0, level - 0.35) * 1.5);
        image.data[at + 2] = Math.round(90 * (1 - level) + 40 * level);
        image.data[at + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
  markRegion(context, timeline, region);
}
