/**
 * Plays a mix with one stem laid at an offset on the mix's timeline, sample-accurately: both
 * buffers are decoded up front and every source is scheduled on the AudioContext clock, never
 * started from a timer. Looping schedules one span per pass ahead of time for the same reason.
 */

export type TrackName = 'mix' | 'stem';

export interface TrackLevel {
  gain: number;
  mute: boolean;
  solo: boolean;
}

/** One source as it was scheduled: what the test hook and the position display read. */
export interface ScheduledSource {
  track: TrackName;
  /** AudioContext time the source starts. */
  when: number;
  /** Position in its own buffer where it starts. */
  offset: number;
  duration: number;
}

export interface PlayerSnapshot {
  state: AudioContextState;
  currentTime: number;
  playing: boolean;
  offsetSeconds: number;
  loop: { start: number; end: number } | null;
  /** The gain each track is set to after mute and solo. */
  gains: Record<TrackName, number>;
  scheduled: ScheduledSource[];
}

/** Sources are scheduled this far ahead so the first samples of both tracks start together. */
const START_LATENCY_S = 0.08;
/** The next loop pass is scheduled when the current one has less than this left. */
const LOOKAHEAD_S = 0.5;
const HISTORY = 32;

export class AuditionPlayer {
  readonly context = new AudioContext();
  private readonly gains: Record<TrackName, GainNode>;
  private levels: Record<TrackName, TrackLevel> = {
    mix: { gain: 1, mute: false, solo: false },
    stem: { gain: 1, mute: false, solo: false },
  };
  private buffers: Record<TrackName, AudioBuffer | null> = { mix: null, stem: null };
  private offset = 0;
  private loopRegion: { start: number; end: number } | null = null;
  private sources: AudioBufferSourceNode[] = [];
  private scheduled: ScheduledSource[] = [];
  /** Pass boundaries: from AudioContext time `when`, the mix timeline reads `from` onwards. */
  private passes: Array<{ when: number; from: number }> = [];
  private nextPassAt = 0;
  private timer: number | null = null;
  private playingFlag = false;
  /** Mix-timeline position to resume from while stopped. */
  private pausedAt = 0;
  onStateChange: () => void = () => {};

  constructor() {
    this.gains = { mix: this.context.createGain(), stem: this.context.createGain() };
    this.gains.mix.connect(this.context.destination);
    this.gains.stem.connect(this.context.destination);
  }

  decode(bytes: ArrayBuffer): Promise<AudioBuffer> {
    return this.context.decodeAudioData(bytes);
  }

  get playing(): boolean {
    return this.playingFlag;
  }

  get offsetSeconds(): number {
    return this.offset;
  }

  get mix(): AudioBuffer | null {
    return this.buffers.mix;
  }

  get stem(): AudioBuffer | null {
    return this.buffers.stem;
  }

  /** The end of the shared timeline: the later of the mix's end and the laid stem's end. */
  get timelineEnd(): number {
    const mix = this.buffers.mix?.duration ?? 0;
    const stem = this.buffers.stem ? this.offset + this.buffers.stem.duration : 0;
    return Math.max(mix, stem);
  }

  setMix(buffer: AudioBuffer | null): void {
    this.stop();
    this.buffers.mix = buffer;
  }

  /** Swaps the stem (A/B): playback, if running, carries on from the same mix position. */
  setStem(buffer: AudioBuffer | null, offsetSeconds: number): void {
    this.replan(() => {
      this.buffers.stem = buffer;
      this.offset = offsetSeconds;
    });
  }

  setOffset(offsetSeconds: number): void {
    this.replan(() => {
      this.offset = offsetSeconds;
    });
  }

  setLoop(region: { start: number; end: number } | null): void {
    this.replan(() => {
      this.loopRegion = region;
    });
  }

  setLevel(track: TrackName, level: Partial<TrackLevel>): void {
    this.levels[track] = { ...this.levels[track], ...level };
    this.applyLevels();
  }

  /** Mix timeline position now (seconds). */
  position(): number {
    if (!this.playingFlag) return this.pausedAt;
    const now = this.context.currentTime;
    const pass = [...this.passes].reverse().find((candidate) => candidate.when <= now) ?? this.passes[0];
    if (!pass) return this.pausedAt;
    return pass.from + Math.max(0, now - pass.when);
  }

  async play(from = this.pausedAt): Promise<void> {
    if (!this.buffers.mix) return;
    await this.context.resume();
    this.stopSources();
    if (this.timer !== null) window.clearInterval(this.timer);
    const region = this.loopRegion;
    let start = from;
    if (region && (start < region.start || start >= region.end)) start = region.start;
    if (!region && start >= this.timelineEnd) start = 0;
    const when = this.context.currentTime + START_LATENCY_S;
    this.playingFlag = true;
    this.passes = [];
    this.schedulePass(when, start, region ? region.end : this.timelineEnd);
    this.timer = window.setInterval(() => this.tick(), 50);
    this.onStateChange();
  }

  pause(): void {
    if (!this.playingFlag) return;
    this.pausedAt = this.position();
    this.stop(false);
  }

  stop(resetPosition = true): void {
    this.stopSources();
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    const was = this.playingFlag;
    this.playingFlag = false;
    if (resetPosition) this.pausedAt = 0;
    if (was) this.onStateChange();
  }

  snapshot(): PlayerSnapshot {
    return {
      state: this.context.state,
      currentTime: this.context.currentTime,
      playing: this.playingFlag,
      offsetSeconds: this.offset,
      loop: this.loopRegion,
      gains: { mix: this.effectiveGain('mix'), stem: this.effectiveGain('stem') },
      scheduled: this.scheduled.map((entry) => ({ ...entry })),
    };
  }

  async close(): Promise<void> {
    this.stop();
    await this.context.close();
  }

  /** Applies a change; if playing, restarts at the same position so the change is heard at once. */
  private replan(change: () => void): void {
    const wasPlaying = this.playingFlag;
    const at = this.position();
    if (wasPlaying) this.stop(false);
    change();
    this.pausedAt = at;
    if (wasPlaying) void this.play(at);
  }

  private tick(): void {
    const now = this.context.currentTime;
    const region = this.loopRegion;
    if (region) {
      if (this.nextPassAt - now < LOOKAHEAD_S) this.schedulePass(this.nextPassAt, region.start, region.end);
      return;
    }
    if (now >= this.nextPassAt) this.stop();
  }

  /** Schedules both tracks for mix-timeline span [from, to) starting at context time `when`. */
  private schedulePass(when: number, from: number, to: number): void {
    this.passes.push({ when, from });
    if (this.passes.length > 4) this.passes.shift();
    this.nextPassAt = when + (to - from);
    const mix = this.buffers.mix;
    if (mix && from < mix.duration) this.start('mix', mix, when, from, Math.min(to, mix.duration) - from);
    const stem = this.buffers.stem;
    if (stem) {
      // The stem's own time is the mix time minus the offset; before its start it is silent.
      const stemFrom = from - this.offset;
      const stemTo = Math.min(to - this.offset, stem.duration);
      const begin = Math.max(0, stemFrom);
      if (stemTo > begin) this.start('stem', stem, when + (begin - stemFrom), begin, stemTo - begin);
    }
  }

  private start(track: TrackName, buffer: AudioBuffer, when: number, offset: number, duration: number): void {
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.gains[track]);
    source.start(when, offset, duration);
    source.addEventListener('ended', () => {
      this.sources = this.sources.filter((candidate) => candidate !== source);
    });
    this.sources.push(source);
    this.scheduled.push({ track, when, offset, duration });
    if (this.scheduled.length > HISTORY) this.scheduled.shift();
  }

  private stopSources(): void {
    for (const source of this.sources) {
      try {
        source.stop();
      } catch {
        // Already stopped.
      }
      source.disconnect();
    }
    this.sources = [];
  }

  /** Solo wins over the other track; mute wins over everything. */
  private effectiveGain(track: TrackName): number {
    const level = this.levels[track];
    const anySolo = this.levels.mix.solo || this.levels.stem.solo;
    return !level.mute && (!anySolo || level.solo) ? level.gain : 0;
  }

  private applyLevels(): void {
    for (const track of ['mix', 'stem'] as const) {
      // A short ramp instead of a jump: no click when muting mid-note.
      this.gains[track].gain.setTargetAtTime(this.effectiveGain(track), this.context.currentTime, 0.01);
    }
  }
}
