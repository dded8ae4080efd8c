import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The grooves of Debian's `mma` (Musical MIDI Accompaniment) library, written by musicians: one
 * style file per family (e.g. `stdlib/50srock`), each defining a main groove and its variations,
 * intros, endings and fills with `DefGroove`. The corpus draws a family per MMA song; held-out
 * families never reach training (see `isHeldOutFamily`).
 */

export const DEFAULT_MMA_LIBRARY = '/usr/share/mma/lib';

export type GrooveRole = 'main' | 'intro' | 'end' | 'fill';

export interface Groove {
  name: string;
  role: GrooveRole;
  /** Beats per bar (`Time` in force where the groove is defined). */
  beatsPerBar: number;
}

export interface GrooveFamily {
  /** `<library>/<file without .mma>`, e.g. `stdlib/50srock`. */
  id: string;
  path: string;
  grooves: Groove[];
}

/**
 * Whole families held out of training, by file name, with the reason in the corpus README:
 * everything jazz (as the generated source holds out its jazz style), Brazilian bossa nova and
 * samba, tango and polka. Their songs form the `heldout_style` split.
 */
export const HELD_OUT_FAMILY_PATTERNS: readonly { name: string; pattern: RegExp }[] = [
  {
    name: 'jazz (jazz, swing, bebop, big band, dixieland)',
    pattern: /jazz|swing|bebop|bigband|dixie|evansish|basie/i,
  },
  { name: 'bossa nova and samba', pattern: /bossa|samba/i },
  { name: 'tango', pattern: /tango/i },
  { name: 'polka', pattern: /polka/i },
];

/**
 * Families left out of the corpus altogether: click tracks and the empty style, and `alexis`,
 * whose grooves call a Python plugin that Debian's mma does not enable. Families that `mma`
 * rejected when each was compiled once on this project's machine are listed too.
 */
const EXCLUDED_FAMILY = /^(?:stdlib\/(?:metronome.*|none)|alexis\/.*)$/;

/** Meters the song planner writes (beats of a quarter note per bar). */
const SUPPORTED_BEATS = new Set([2, 3, 4]);

export function isHeldOutFamily(familyId: string): boolean {
  const file = familyId.slice(familyId.indexOf('/') + 1);
  return HELD_OUT_FAMILY_PATTERNS.some(({ pattern }) => pattern.test(file));
}

function grooveRole(name: string): GrooveRole {
  if (/intro/i.test(name)) return 'intro';
  if (/end(ing)?\d*$/i.test(name)) return 'end';
  if (/fill/i.test(name)) return 'fill';
  return 'main';
}

function parseFamily(library: string, file: string, path: string): GrooveFamily {
  const grooves: Groove[] = [];
  let beatsPerBar = 4;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    const time = /^time\s+(\d+)/i.exec(line);
    if (time) beatsPerBar = Number(time[1]);
    const defined = /^defgroove\s+(\S+)/i.exec(line);
    if (defined) grooves.push({ name: defined[1], role: grooveRole(defined[1]), beatsPerBar });
  }
  return { id: `${library}/${file.replace(/\.mma$/, '')}`, path, grooves };
}

/**
 * Every usable family of the library, sorted by id: at least one main groove in a supported
 * meter (grooves in other meters are dropped from the family).
 */
export function loadGrooveLibrary(root = DEFAULT_MMA_LIBRARY): GrooveFamily[] {
  if (!existsSync(root)) throw new Error(`no MMA library at ${root} (apt-get install mma)`);
  const families: GrooveFamily[] = [];
  for (const library of readdirSync(root).sort()) {
    const dir = join(root, library);
    let files: string[];
    try {
      files = readdirSync(dir).filter((file) => file.endsWith('.mma'));
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      const family = parseFamily(library, file, join(dir, file));
      if (EXCLUDED_FAMILY.test(family.id)) continue;
      family.grooves = family.grooves.filter((groove) => SUPPORTED_BEATS.has(groove.beatsPerBar));
      if (family.grooves.some((groove) => groove.role === 'main')) families.push(family);
    }
  }
  return families;
}
