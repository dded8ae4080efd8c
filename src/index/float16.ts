/**
 * IEEE 754 half-precision conversion. Node 20 has no Float16Array, and patch embeddings are
 * the bulk of the store (numPatches × dim per chunk), so halving them matters more than the
 * ~1e-3 relative precision they lose: they only feed the predictor again, whose output is pooled.
 */

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** Rounds to nearest, ties to even; overflow becomes ±Infinity; NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);

  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;

  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the implicit leading 1 into the mantissa.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShift(full, shift);
  }
  // A mantissa carry out of rounding correctly bumps the exponent (and can reach Infinity).
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

function roundShift(value: number, shift: number): number {
  const truncated = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (remainder > half || (remainder === half && (truncated & 1) === 1)) return truncated + 1;
  return truncated;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Every half's float32 value, so decoding is one lookup per element (256 KiB, built on first use). */
let decodeTable: Float32Array | null = null;

function halfTable(): Float32Array {
  if (decodeTable === null) {
    decodeTable = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) decodeTable[bits] = float16BitsToFloat32(bits);
  }
  return decodeTable;
}

/** Little-endian float16 bytes. */
export function encodeFloat16(values: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(values.length * 2);
  if (LITTLE_ENDIAN && out.byteOffset % 2 === 0) {
    const halves = new Uint16Array(out.buffer, out.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) halves[i] = float32ToFloat16Bits(values[i]);
  } else {
    for (let i = 0; i < values.length; i++) out.writeUInt16LE(float32ToFloat16Bits(values[i]), i * 2);
  }
  return out;
}

export function decodeFloat16(bytes: Uint8Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(bytes.byteLength >>> 1);
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, out.length);
    for (let i = 0; i < out.length; i++) out[i] = table[halves[i]];
  } else {
    for (let i = 0; i < out.length; i++) out[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  }
  return out;
}

/** Little-endian float32 bytes (copied, so the result never aliases the caller's buffer). */
export function encodeFloat32(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4);
  return out;
}

export function decodeFloat32(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN) {
    // Copy into a fresh, aligned buffer: the source may be a view at any offset.
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
