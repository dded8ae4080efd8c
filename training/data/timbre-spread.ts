import { Command } from 'commander';
import { DEFAULT_FRONT_END } from '../../src/audio/frontend-config.js';
import { LogMelSpectrogram } from '../../src/audio/log-mel.js';
import { loadGrooveLibrary } from './mma-library.js';
import { composeMmaSong } from './mma-song.js';
import { Rng } from './random.js';
import { renderPerformedSong, type StemPerformance } from './render-timbres.js';
import {
  drawSongEffects,
  drawStemTimbre,
  HELD_OUT_SOUNDFONT,
  type SoundFont,
  type StemTimbre,
  TRAINING_SOUNDFONTS,
} from './timbre.js';

/**
 * `npm run corpus:timbre-spread`: how different the corpus's renderings of one part sound. Each
 * stem of a few MMA songs is rendered (a) with every SoundFont of the training pool, dry and
 * neutral, (b) with the same SoundFont under two random draws of the render settings (effects,
 * sends, velocity scale, tilt), and (c) with the held-out SoundFont. The distance of two
 * renderings is the mean |Δ log-mel| in dB over bins where either is within 60 dB of its peak
 * (each rendering peak-normalised first, so loudness does not count). For scale, (d) is the
 * distance between two different parts of the same song through one SoundFont.
 */

const options = new Command()
  .option('--songs <n>', 'MMA songs (seeds 0..n-1)', '4')
  .option('--seconds <s>', 'song length', '20')
  .parse()
  .opts<{ songs: string; seconds: string }>();

const spectrogram = new LogMelSpectrogram(DEFAULT_FRONT_END);
const NATS_TO_DB = 10 / Math.LN10;

function logMel(samples: Float32Array): Float32Array {
  let peak = 0;
  for (const value of samples) peak = Math.max(peak, Math.abs(value));
  const scaled = samples.map((value) => value / (peak || 1));
  return spectrogram.compute(scaled).data;
}

function distanceDb(a: Float32Array, b: Float32Array): number | undefined {
  let peakA = -Infinity;
  let peakB = -Infinity;
  for (const v of a) peakA = Math.max(peakA, v);
  for (const v of b) peakB = Math.max(peakB, v);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < peakA - 60 / NATS_TO_DB && b[i] < peakB - 60 / NATS_TO_DB) continue;
    sum += Math.abs(a[i] - b[i]);
    count++;
  }
  return count > 0 ? (sum / count) * NATS_TO_DB : undefined;
}

const neutral = (soundfont: SoundFont): StemTimbre => ({
  soundfont,
  velocityScale: 1,
  reverbSend: 0,
  chorusSend: 0,
  tiltDb: 0,
});
const dryEffects = drawSongEffects(new Rng(0));
const families = loadGrooveLibrary();
const seconds = Number(options.seconds);
const results: Record<string, number[]> = { soundfonts: [], settings: [], heldOut: [], otherPart: [] };

for (let seed = 0; seed < Number(options.songs); seed++) {
  const song = await composeMmaSong(seed, families, [seconds, seconds]);
  const renders: StemPerformance[] = [];
  for (const stem of song.stems) {
    const fonts = TRAINING_SOUNDFONTS.filter(
      (font) => (stem.drums ? font.drumWeight : font.melodicWeight) > 0,
    );
    for (const font of fonts)
      renders.push({
        name: `${stem.name}|font|${font.name}`,
        drums: stem.drums,
        events: stem.events,
        timbre: neutral(font),
      });
    renders.push({
      name: `${stem.name}|heldout`,
      drums: stem.drums,
      events: stem.events,
      timbre: neutral(HELD_OUT_SOUNDFONT),
    });
    const rng = new Rng(seed).fork(stem.name);
    for (const draw of [0, 1]) {
      const timbre = {
        ...drawStemTimbre(rng, TRAINING_SOUNDFONTS, stem.drums),
        soundfont: TRAINING_SOUNDFONTS[0],
      };
      renders.push({ name: `${stem.name}|settings|${draw}`, drums: stem.drums, events: stem.events, timbre });
    }
  }
  const rendered = await renderPerformedSong(
    { durationSeconds: song.durationSeconds, stems: renders },
    { ...dryEffects, reverbLevel: 0.6 },
    16_000,
  );
  const features = new Map([...rendered.stems].map(([name, audio]) => [name, logMel(audio)]));
  const add = (key: string, a: string, b: string) => {
    const d = distanceDb(features.get(a)!, features.get(b)!);
    if (d !== undefined) results[key].push(d);
  };
  for (const stem of song.stems) {
    const fonts = TRAINING_SOUNDFONTS.filter(
      (font) => (stem.drums ? font.drumWeight : font.melodicWeight) > 0,
    );
    for (let i = 0; i < fonts.length; i++) {
      for (let j = i + 1; j < fonts.length; j++)
        add('soundfonts', `${stem.name}|font|${fonts[i].name}`, `${stem.name}|font|${fonts[j].name}`);
      add('heldOut', `${stem.name}|font|${fonts[i].name}`, `${stem.name}|heldout`);
    }
    add('settings', `${stem.name}|settings|0`, `${stem.name}|settings|1`);
  }
  for (let i = 0; i + 1 < song.stems.length; i++) {
    add(
      'otherPart',
      `${song.stems[i].name}|font|${TRAINING_SOUNDFONTS[0].name}`,
      `${song.stems[i + 1].name}|font|${TRAINING_SOUNDFONTS[0].name}`,
    );
  }
  console.log(
    `song ${seed} (${song.plan.family.id}): ${song.stems.length} stems rendered ${renders.length} ways`,
  );
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
console.log('mean |Δ log-mel| (dB) between renderings of the same part:');
console.log(
  `  two training SoundFonts (dry, neutral): ${mean(results.soundfonts).toFixed(2)} dB over ${results.soundfonts.length} pairs`,
);
console.log(
  `  one SoundFont, two draws of render settings: ${mean(results.settings).toFixed(2)} dB over ${results.settings.length} pairs`,
);
console.log(
  `  a training SoundFont vs the held-out TimGM6mb: ${mean(results.heldOut).toFixed(2)} dB over ${results.heldOut.length} pairs`,
);
console.log(
  `  for scale, two different parts of one song, one SoundFont: ${mean(results.otherPart).toFixed(2)} dB over ${results.otherPart.length} pairs`,
);
