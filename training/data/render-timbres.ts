import { encodeMidiFile, type MidiEvent } from './midi.js';
import { DRUM_CHANNEL } from './programs.js';
import { checkRenderer, cutStem, runFluidsynth } from './render.js';
import { applyTilt, type SongEffects, type StemTimbre, soundFontPresets } from './timbre.js';

/**
 * Corpus v2 renderer: every stem with its own SoundFont and settings. Stems sharing a SoundFont
 * go through one fluidsynth process (laid out one after another, as in render.ts), so a song
 * costs one process per distinct SoundFont. Reverb and chorus are on, with the song's parameters
 * and each stem's sends; the gap between stems outlasts the longest reverb tail.
 */

export interface StemPerformance {
  name: string;
  drums: boolean;
  /** The stem's events in seconds from the song start, on the channels it was written for. */
  events: MidiEvent[];
  timbre: StemTimbre;
}

export interface PerformedSong {
  durationSeconds: number;
  stems: StemPerformance[];
}

/** Silence between stems in one process: above the longest tail at room size 0.8. */
const STEM_GAP_SECONDS = 6;
const MASTER_GAIN = 0.5;
/** Channel a drum stem moves to when its kit is a melodic preset (bank 0, program 0). */
const KIT_CHANNEL = 15;
/** Controllers the renderer owns: bank select, pan, reverb and chorus sends. */
const OWNED_CONTROLLERS = new Set([0, 10, 32, 91, 93]);

function effectSettings(effects: SongEffects): string[] {
  const set = (name: string, value: number) => ['-o', `${name}=${value}`];
  return [
    '-R',
    '1',
    '-C',
    '1',
    '-g',
    String(MASTER_GAIN),
    ...set('synth.reverb.room-size', effects.roomSize),
    ...set('synth.reverb.damp', effects.damp),
    ...set('synth.reverb.width', effects.width),
    ...set('synth.reverb.level', effects.reverbLevel),
    ...set('synth.chorus.depth', effects.chorusDepth),
    ...set('synth.chorus.level', effects.chorusLevel),
    ...set('synth.chorus.nr', effects.chorusVoices),
    ...set('synth.chorus.speed', effects.chorusSpeed),
    // Decode only the samples a song uses: SF3 fonts otherwise decompress everything at load.
    ...set('synth.dynamic-sample-loading', 1),
  ];
}

/** The stem's events moved to `offset`, with the renderer's setup and its timbre applied. */
function stemEvents(stem: StemPerformance, durationSeconds: number, offset: number): MidiEvent[] {
  const { timbre } = stem;
  const kit = stem.drums && timbre.soundfont.kitAsMelodicPreset;
  const presets = soundFontPresets(timbre.soundfont.path);
  const channelOf = (channel: number) => (kit && channel === DRUM_CHANNEL ? KIT_CHANNEL : channel);
  const channels = new Set(stem.events.map((event) => channelOf(event.channel)));
  const setup: MidiEvent[] = [];
  for (const channel of channels) {
    setup.push(
      { kind: 'control', time: offset, channel, controller: 121, value: 0 },
      { kind: 'control', time: offset, channel, controller: 7, value: 100 },
      { kind: 'control', time: offset, channel, controller: 10, value: 64 },
      { kind: 'control', time: offset, channel, controller: 91, value: timbre.reverbSend },
      { kind: 'control', time: offset, channel, controller: 93, value: timbre.chorusSend },
      { kind: 'pitchBend', time: offset, channel, value: 8192 },
    );
    // A channel without a program change of its own plays program 0 (kit 0 on the drum channel).
    if (!stem.events.some((event) => event.kind === 'program' && channelOf(event.channel) === channel))
      setup.push({ kind: 'program', time: offset, channel, program: 0 });
  }
  const end = offset + durationSeconds - 0.05;
  const moved: MidiEvent[] = [];
  for (const event of stem.events) {
    if (event.time >= durationSeconds - 0.1) continue;
    const channel = channelOf(event.channel);
    const time = offset + event.time;
    if (event.kind === 'note') {
      const velocity = Math.min(127, Math.max(1, Math.round(event.velocity * timbre.velocityScale)));
      moved.push({
        ...event,
        channel,
        time,
        velocity,
        duration: Math.max(0.001, Math.min(event.duration, end - time)),
      });
    } else if (event.kind === 'program') {
      let program = kit ? 0 : event.program;
      // A drum kit the font lacks falls back to its standard kit (bank 128, program 0).
      if (stem.drums && !kit && !presets.has(128 * 128 + program)) program = 0;
      moved.push({ ...event, channel, time, program });
    } else if (event.kind === 'control') {
      if (!OWNED_CONTROLLERS.has(event.controller)) moved.push({ ...event, channel, time });
    } else {
      moved.push({ ...event, channel, time });
    }
  }
  return [...setup, ...moved];
}

export interface RenderedTimbres {
  stems: Map<string, Float32Array>;
  fluidsynthVersion: string;
}

export async function renderPerformedSong(
  song: PerformedSong,
  effects: SongEffects,
  sampleRate: number,
  binary = 'fluidsynth',
): Promise<RenderedTimbres> {
  const groups = new Map<string, StemPerformance[]>();
  for (const stem of song.stems) {
    const group = groups.get(stem.timbre.soundfont.path) ?? [];
    group.push(stem);
    groups.set(stem.timbre.soundfont.path, group);
  }
  const stride = Math.ceil(song.durationSeconds + STEM_GAP_SECONDS);
  const length = Math.round(song.durationSeconds * sampleRate);
  const stems = new Map<string, Float32Array>();
  let version = '';
  for (const [soundfont, group] of groups) {
    version = await checkRenderer(binary, soundfont);
    const events = group.flatMap((stem, index) => stemEvents(stem, song.durationSeconds, index * stride));
    // A final no-op keeps the render running through the last stem's tail.
    events.push({ kind: 'control', time: group.length * stride, channel: 0, controller: 7, value: 100 });
    const interleaved = await runFluidsynth(
      binary,
      soundfont,
      encodeMidiFile(events),
      sampleRate,
      effectSettings(effects),
    );
    group.forEach((stem, index) => {
      const mono = cutStem(interleaved, index * stride * sampleRate, length);
      applyTilt(mono, stem.timbre.tiltDb, sampleRate);
      stems.set(stem.name, mono);
    });
  }
  return { stems, fluidsynthVersion: version };
}
