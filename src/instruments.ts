/**
 * The instrument vocabulary: the predictor's conditioning labels.
 *
 * This list is the single source of truth. Its order defines the integer ids fed to
 * `predictor.onnx`, it is copied into `models/manifest.json` at export time, and the
 * service refuses a model whose manifest lists a different vocabulary.
 */
export const INSTRUMENTS = [
  'drums',
  'bass',
  'vocals',
  'piano',
  'guitar',
  'strings',
  'synth',
  'other',
] as const;

export type Instrument = (typeof INSTRUMENTS)[number];

export function isInstrument(value: string): value is Instrument {
  return (INSTRUMENTS as readonly string[]).includes(value);
}

export function instrumentId(instrument: Instrument): number {
  return INSTRUMENTS.indexOf(instrument);
}
