/**
 * Builds WAV headers field by field, including invalid ones, for parser tests. `dataBytes` is the
 * sample payload actually present; `declaredDataBytes` is what the header claims.
 */
export interface RawWavFields {
  formatTag?: number;
  channels?: number;
  sampleRate?: number;
  bitsPerSample?: number;
  blockAlign?: number;
  dataBytes?: Uint8Array;
  declaredDataBytes?: number;
  /** Sub-format tag for WAVE_FORMAT_EXTENSIBLE (formatTag 0xfffe). */
  subFormatTag?: number;
  magic?: string;
}

export function rawWav(fields: RawWavFields = {}): Uint8Array {
  const formatTag = fields.formatTag ?? 1;
  const channels = fields.channels ?? 1;
  const sampleRate = fields.sampleRate ?? 16_000;
  const bitsPerSample = fields.bitsPerSample ?? 16;
  const blockAlign = fields.blockAlign ?? (channels * bitsPerSample) / 8;
  const data = fields.dataBytes ?? new Uint8Array(0);
  const extensible = formatTag === 0xfffe;
  const fmtBytes = extensible ? 40 : 16;
  const bytes = new Uint8Array(12 + 8 + fmtBytes + 8 + data.length);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) bytes[at + i] = text.charCodeAt(i);
  };
  ascii(0, fields.magic ?? 'RIFF');
  view.setUint32(4, bytes.length - 8, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, formatTag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bitsPerSample, true);
  if (extensible) {
    view.setUint16(36, 22, true);
    view.setUint16(38, bitsPerSample, true);
    view.setUint16(44, fields.subFormatTag ?? 1, true);
  }
  const dataAt = 20 + fmtBytes;
  ascii(dataAt, 'data');
  view.setUint32(dataAt + 4, fields.declaredDataBytes ?? data.length, true);
  bytes.set(data, dataAt + 8);
  return bytes;
}
