/**
 * Front-end speed on one core: decode, downmix + resample 44.1 kHz → 16 kHz, and the features of
 * the 8 s chunks for both front-end kinds (log-mel and CQT, back to back), for a 3-minute 44.1 kHz
 * stereo signal, as × real time (audio seconds per second of CPU time). Also prints the
 * resampler's measured aliasing. Run: npm run bench:audio
 */

import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import {
  AudioProcessor,
  chunkSignal,
  createFrontEnd,
  DEFAULT_CQT_FRONT_END,
  DEFAULT_FRONT_END,
  decodeAudio,
  downmixToMono,
  encodeWav,
  type FrontEndConfig,
  FrontEndPool,
  featureBins,
  resample,
} from '../src/audio/index.js';

/** The two front-end kinds, measured back to back so both see the same machine load. */
const KINDS: [string, FrontEndConfig][] = [
  ['log-mel', DEFAULT_FRONT_END],
  ['cqt', DEFAULT_CQT_FRONT_END],
];

const SAMPLE_RATE = 44_100;
const SECONDS = 180;
const RUNS = 3;

/** Seeded "music": a chord progression of decaying harmonic notes, a bass line and noise hats. */
function musicLikeStereo(): Float32Array[] {
  const length = SECONDS * SAMPLE_RATE;
  const left = new Float32Array(length);
  const right = new Float32Array(length);
  let seed = 12_345;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const chords = [
    [261.63, 329.63, 392.0],
    [220.0, 261.63, 329.63],
    [174.61, 220.0, 261.63],
    [196.0, 246.94, 293.66],
  ];
  const beat = Math.round(SAMPLE_RATE / 2); // 120 bpm
  for (let i = 0; i < length; i++) {
    const t = i / SAMPLE_RATE;
    const chord = chords[Math.floor(i / (4 * beat)) % chords.length];
    const sinceBeat = (i % beat) / SAMPLE_RATE;
    const envelope = Math.exp(-3 * sinceBeat);
    let tonal = 0;
    for (const f of chord) {
      for (let h = 1; h <= 4; h++) tonal += (0.08 / h) * Math.sin(2 * Math.PI * f * h * t);
    }
    const bass = 0.2 * envelope * Math.sin(2 * Math.PI * (chord[0] / 2) * t);
    const hat = (i % (beat / 2) < 2_000 ? 0.1 * Math.exp(-sinceBeat * 40) : 0) * (2 * random() - 1);
    left[i] = envelope * tonal + bass + hat;
    right[i] = 0.8 * envelope * tonal + bass - hat + 0.01 * (2 * random() - 1);
  }
  return [left, right];
}

function ffmpegEncode(wav: Uint8Array, args: string[]): Uint8Array | undefined {
  const result = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', ...args, 'pipe:1'],
    {
      input: wav,
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return result.status === 0 ? new Uint8Array(result.stdout) : undefined;
}

interface Timing {
  wallSeconds: number;
  /** Process CPU time: what one core spends, unaffected by other processes competing for it. */
  cpuSeconds: number;
}

async function medianTiming(run: () => unknown): Promise<Timing> {
  await run(); // warm-up: JIT, WASM compilation, resampler tables
  const timings: Timing[] = [];
  for (let i = 0; i < RUNS; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run();
    const used = process.cpuUsage(cpu);
    timings.push({
      wallSeconds: (performance.now() - started) / 1_000,
      cpuSeconds: (used.user + used.system) / 1e6,
    });
  }
  return timings.sort((a, b) => a.cpuSeconds - b.cpuSeconds)[Math.floor(RUNS / 2)];
}

function report(label: string, timing: Timing): void {
  const cpuSpeed = SECONDS / timing.cpuSeconds;
  const wallSpeed = SECONDS / timing.wallSeconds;
  console.log(
    `${label.padEnd(34)} cpu ${(timing.cpuSeconds * 1_000).toFixed(0).padStart(6)} ms ${cpuSpeed.toFixed(0).padStart(5)} × real time` +
      ` | wall ${(timing.wallSeconds * 1_000).toFixed(0).padStart(6)} ms ${wallSpeed.toFixed(0).padStart(5)} ×`,
  );
}

async function main(): Promise<void> {
  console.log(
    `audio front end, ${SECONDS} s of 44.1 kHz stereo, one thread, median of ${RUNS} runs after a warm-up`,
  );
  console.log('× real time = audio seconds per second of process CPU time (one core); wall clock alongside');
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(1))
      .join(' ');
  console.log(`load average at start: ${load()}`);
  const stereo = musicLikeStereo();
  const wav = encodeWav(stereo, SAMPLE_RATE);
  const files: [string, Uint8Array | undefined][] = [
    ['wav (16-bit)', wav],
    ['flac', ffmpegEncode(wav, ['-c:a', 'flac', '-f', 'flac'])],
    ['mp3 (128 kbit/s)', ffmpegEncode(wav, ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3'])],
    ['ogg/vorbis (q4)', ffmpegEncode(wav, ['-c:a', 'libvorbis', '-q:a', '4', '-f', 'ogg'])],
  ];

  for (const [name, bytes] of files) {
    if (!bytes) {
      console.log(`decode ${name}: skipped (ffmpeg with this encoder not found)`);
      continue;
    }
    report(
      `decode ${name}, ${(bytes.length / 1e6).toFixed(1)} MB`,
      await medianTiming(() => decodeAudio(bytes)),
    );
  }

  const decoded = await decodeAudio(wav);
  report('downmix to mono', await medianTiming(() => downmixToMono(decoded.channels)));
  const mono = downmixToMono(decoded.channels);
  report('resample 44.1 → 16 kHz', await medianTiming(() => resample(mono, SAMPLE_RATE, 16_000)));
  const atModelRate = resample(mono, SAMPLE_RATE, 16_000);
  for (const [kind, config] of KINDS) {
    const frontEnd = createFrontEnd(config);
    const chunks = chunkSignal(atModelRate, config);
    report(
      `${kind}, ${chunks.length} chunks of ${featureBins(config)} × ${config.chunkFrames}`,
      await medianTiming(() => {
        for (const chunk of chunks) frontEnd.compute(chunk.samples);
      }),
    );
  }

  for (const [name, bytes] of files) {
    if (!bytes || !(name.startsWith('wav') || name === 'flac')) continue;
    for (const [kind, config] of KINDS) {
      const processor = new AudioProcessor(config);
      report(`total extract() ${kind} from ${name}`, await medianTiming(() => processor.extract(bytes)));
    }
  }
  console.log(`load average at end: ${load()}`);

  await reportEventLoopStalls(new AudioProcessor(DEFAULT_FRONT_END), wav);
  reportAliasing();
}

/**
 * Longest gap between 1 ms timer ticks while one file is processed on the main thread vs in
 * FrontEndPool: what a server's other requests would wait. On a loaded machine the pool's figure
 * includes time the main thread was simply not scheduled.
 */
async function reportEventLoopStalls(processor: AudioProcessor, bytes: Uint8Array): Promise<void> {
  const pool = new FrontEndPool({ config: DEFAULT_FRONT_END, threads: 1 });
  await pool.extract(bytes); // start the worker and warm it up
  for (const [label, run] of [
    ['main thread', () => processor.extract(bytes)],
    ['FrontEndPool', () => pool.extract(bytes)],
  ] as const) {
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    await run();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the ticker see the end of a stall
    clearInterval(ticker);
    console.log(`longest event-loop stall, extract() on ${label}: ${longest.toFixed(0)} ms`);
  }
  await pool.destroy();
}

/** Worst alias level (dB relative to the input tone) over tones from 8 kHz to 22 kHz, 44.1 → 16 kHz. */
function reportAliasing(): void {
  let worst = Number.NEGATIVE_INFINITY;
  let worstFrequency = 0;
  for (let frequency = 8_000; frequency < SAMPLE_RATE / 2; frequency += 250) {
    const input = new Float32Array(SAMPLE_RATE / 2);
    for (let i = 0; i < input.length; i++)
      input[i] = 0.5 * Math.sin((2 * Math.PI * frequency * i) / SAMPLE_RATE);
    const output = resample(input, SAMPLE_RATE, 16_000);
    const alias = Math.abs(((frequency + 8_000) % 16_000) - 8_000);
    const level = 20 * Math.log10(toneAmplitude(output, alias, 16_000) / 0.5);
    if (level > worst) [worst, worstFrequency] = [level, frequency];
  }
  console.log(
    `resampler aliasing, tones 8–22 kHz at 44.1 kHz: worst ${worst.toFixed(1)} dB (at ${worstFrequency} Hz)`,
  );
}

function toneAmplitude(signal: Float32Array, frequency: number, sampleRate: number): number {
  const start = Math.floor(signal.length / 4);
  const end = Math.floor((3 * signal.length) / 4);
  let re = 0;
  let im = 0;
  let weight = 0;
  for (let i = start; i < end; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i - start)) / (end - start));
    re += hann * signal[i] * Math.cos((2 * Math.PI * frequency * i) / sampleRate);
    im += hann * signal[i] * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
    weight += hann;
  }
  return (2 * Math.hypot(re, im)) / weight;
}

await main();
