import type { Rng } from './random.js';
import type { SongPlan } from './song.js';
import type { GrooveFamily } from './styles.js';

/** A note in musical time: beats from the song start (quarter-note beats). */
export interface Note {
  beat: number;
  duration: number;
  pitch: number;
  velocity: number;
}

/** GM percussion keys. */
const KICK = 36;
const SIDE_STICK = 37;
const SNARE = 38;
const CLAP = 39;
const CLOSED_HAT = 42;
const PEDAL_HAT = 44;
const OPEN_HAT = 46;
const CRASH = 49;
const RIDE = 51;
const LOW_TOM = 45;
const MID_TOM = 47;
const HIGH_TOM = 50;

/**
 * One bar of a groove on a sixteenth-note grid, one line per drum. Characters: `X` accent,
 * `x` normal, `o` ghost, `.` rest. Variants are alternatives a song picks from.
 */
type Groove = Readonly<Record<number, readonly string[]>>;

const GROOVES_4: Record<Exclude<GrooveFamily, 'waltz'>, Groove> = {
  rock: {
    [KICK]: ['X.......X.x.....', 'X.....x.X.......', 'X..x....X.x.....'],
    [SNARE]: ['....X.......X...', '....X.......X..o'],
    [CLOSED_HAT]: ['x.x.x.x.x.x.x.x.', 'X.x.X.x.X.x.X.x.'],
  },
  funk: {
    [KICK]: ['X.....x...X..x..', 'X..x..x...X.....', 'X.x...x..x..X...'],
    [SNARE]: ['....X..o.o..X..o', '.o..X..o.o.oX...'],
    [CLOSED_HAT]: ['xoxoxoxoxoxoxo.o', 'xoxoxoxoxoxoxoxo'],
    [OPEN_HAT]: ['..............x.', '................'],
  },
  fourOnFloor: {
    [KICK]: ['X...X...X...X...'],
    [CLAP]: ['....X.......X...'],
    [OPEN_HAT]: ['..x...x...x...x.'],
    [CLOSED_HAT]: ['o.o.o.o.o.o.o.o.', 'oooooooooooooooo', '................'],
  },
  halfTime: {
    [KICK]: ['X.........x.....', 'X.......x.....x.', 'X...............'],
    [SNARE]: ['........X.......'],
    [SIDE_STICK]: ['................', '....o.......o...'],
    [CLOSED_HAT]: ['x.x.x.x.x.x.x.x.', 'x...x...x...x...'],
  },
  swingRide: {
    [RIDE]: ['x...x.x.x...x.x.', 'x...x...x...x.x.'],
    [PEDAL_HAT]: ['....x.......x...'],
    [KICK]: ['o...o...o...o...', '................'],
    [SNARE]: ['..........o.....', '.......o......o.', '................'],
  },
  boomBap: {
    [KICK]: ['X.....x...X.....', 'X......xX.x.....', 'X.x.......X..x..'],
    [SNARE]: ['....X.......X...'],
    [CLOSED_HAT]: ['x.x.x.x.x.x.x.x.', 'x.xox.xox.xox.xo'],
  },
};

const GROOVES_3: Record<'waltz' | 'swingRide', Groove> = {
  waltz: {
    [KICK]: ['X...........', 'X.......x...'],
    [SNARE]: ['....x...x...', '....o...x...'],
    [CLOSED_HAT]: ['x.x.x.x.x.x.', 'x...x...x...'],
  },
  swingRide: {
    [RIDE]: ['x...x.x.x.x.', 'x...x...x...'],
    [PEDAL_HAT]: ['....x...x...'],
    [KICK]: ['o...........'],
  },
};

const VELOCITY: Record<string, number> = { X: 112, x: 92, o: 48 };

function grooveFor(family: GrooveFamily, beatsPerBar: number): Groove {
  if (beatsPerBar === 3) return family === 'swingRide' ? GROOVES_3.swingRide : GROOVES_3.waltz;
  return family === 'waltz' ? GROOVES_4.halfTime : GROOVES_4[family];
}

/** A fill over the bar's last two beats: toms walking down into the next section. */
function fillNotes(barStart: number, beatsPerBar: number, rng: Rng): Note[] {
  const toms = [HIGH_TOM, HIGH_TOM, MID_TOM, MID_TOM, LOW_TOM, LOW_TOM, SNARE, SNARE];
  const start = barStart + beatsPerBar - 2;
  const notes: Note[] = [];
  for (let step = 0; step < 8; step++) {
    if (step % 2 === 1 && rng.chance(0.3)) continue;
    notes.push({ beat: start + step * 0.25, duration: 0.2, pitch: toms[step], velocity: 80 + step * 4 });
  }
  return notes;
}

/**
 * The drum part: a groove family chosen by the style, one variant per drum for the song, an
 * occasional per-bar variation, crashes on section starts and fills into the next section.
 * `activeBars[bar]` says whether drums play in that bar.
 */
export function drumPart(
  plan: SongPlan,
  family: GrooveFamily,
  activeBars: readonly boolean[],
  rng: Rng,
): Note[] {
  const groove = grooveFor(family, plan.beatsPerBar);
  const steps = plan.beatsPerBar * 4;
  const chosen = new Map<number, string>();
  for (const [drum, variants] of Object.entries(groove)) chosen.set(Number(drum), rng.pick(variants));
  const notes: Note[] = [];
  const sectionStarts = new Set(plan.sections.map((section) => section.startBar));
  const sectionEnds = new Set(plan.sections.map((section) => section.startBar + section.bars - 1));
  for (let bar = 0; bar < plan.bars; bar++) {
    if (!activeBars[bar]) continue;
    const barStart = bar * plan.beatsPerBar;
    const fill = sectionEnds.has(bar) && bar < plan.bars - 1 && activeBars[bar + 1] && rng.chance(0.7);
    for (const [drum, variant] of chosen) {
      const line = rng.chance(0.15) ? rng.pick(groove[drum]) : variant;
      for (let step = 0; step < steps; step++) {
        const symbol = line[step];
        if (symbol === '.' || symbol === undefined) continue;
        if (fill && step >= steps - 8) continue;
        notes.push({ beat: barStart + step / 4, duration: 0.2, pitch: drum, velocity: VELOCITY[symbol] });
      }
    }
    if (sectionStarts.has(bar) && bar > 0 && family !== 'swingRide') {
      notes.push({ beat: barStart, duration: 1, pitch: CRASH, velocity: 105 });
    }
    if (fill) notes.push(...fillNotes(barStart, plan.beatsPerBar, rng));
  }
  return notes;
}
