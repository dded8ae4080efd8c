/**
 * The resampler's inner loop as a tiny WebAssembly module using 128-bit SIMD (four float32
 * multiply-adds per instruction), assembled here from readable opcodes rather than shipped as an
 * opaque blob. Signature, all i32 (byte addresses into the module's own memory):
 *
 *   polyphase(signal, taps, width, up, down, out, count, phase0)
 *
 * For n < count: out[n] = Σ_j signal[index + 1 + j] · taps[phase · width + j], j < width, where
 * (index, phase) start at (0, phase0) and advance by `down / up` input samples per output: phase +=
 * down; while phase ≥ up { phase -= up; index++ }. `width` must be a positive multiple of 4. The
 * caller zero-pads the signal so that no read leaves it.
 */

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  f32Add: 0x92,
  f32Store: 0x38,
  simdPrefix: 0xfd,
} as const;
const simd = {
  v128Load: 0x00,
  v128Const: 0x0c,
  f32x4ExtractLane: 0x1f,
  f32x4Add: 228,
  f32x4Mul: 230,
} as const;
const VOID_BLOCK = 0x40;

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0))
      return [...bytes, byte];
    bytes.push(byte | 0x80);
  }
}

const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...unsignedLeb(body.length), ...body];
const name = (text: string): number[] => [
  ...unsignedLeb(text.length),
  ...Array.from(text, (c) => c.charCodeAt(0)),
];

function assemble(): Uint8Array {
  // Parameters 0–7 as in the signature; locals 8–13 i32, 14 v128.
  const [signal, taps, width, up, down, out, count, phase0] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [n, index, phase, a, b, rowEnd, acc] = [8, 9, 10, 11, 12, 13, 14];
  const get = (local: number) => [op.localGet, local];
  const set = (local: number) => [op.localSet, local];
  const tee = (local: number) => [op.localTee, local];
  const i32 = (value: number) => [op.i32Const, ...signedLeb(value)];
  const times4 = [...i32(2), op.i32Shl];
  const simdOp = (code: number, ...immediates: number[]) => [
    op.simdPrefix,
    ...unsignedLeb(code),
    ...immediates,
  ];
  const lane = (l: number) => [...get(acc), ...simdOp(simd.f32x4ExtractLane, l)];

  // biome-ignore format: grouped one operation per line, like assembly, to stay reviewable
  const body = [
    ...get(phase0), ...set(phase),
    op.block, VOID_BLOCK,
    ...get(count), op.i32Eqz, op.brIf, 0,
    op.loop, VOID_BLOCK, // per output sample
    // a = &signal[index + 1]; b = &taps[phase · width]; rowEnd = b + width
    ...get(signal), ...get(index), ...times4, op.i32Add, ...i32(4), op.i32Add, ...set(a),
    ...get(taps), ...get(phase), ...get(width), op.i32Mul, ...times4, op.i32Add, ...tee(b),
    ...get(width), ...times4, op.i32Add, ...set(rowEnd),
    ...simdOp(simd.v128Const, ...new Array<number>(16).fill(0)), ...set(acc),
    op.loop, VOID_BLOCK, // acc += a[0..4) · b[0..4)
    ...get(acc), ...get(a), ...simdOp(simd.v128Load, 0, 0), ...get(b), ...simdOp(simd.v128Load, 0, 0),
    ...simdOp(simd.f32x4Mul), ...simdOp(simd.f32x4Add), ...set(acc),
    ...get(a), ...i32(16), op.i32Add, ...set(a),
    ...get(b), ...i32(16), op.i32Add, ...tee(b), ...get(rowEnd), op.i32LtU, op.brIf, 0,
    op.end,
    // out[n] = (acc0 + acc1) + (acc2 + acc3)
    ...get(out), ...get(n), ...times4, op.i32Add,
    ...lane(0), ...lane(1), op.f32Add, ...lane(2), ...lane(3), op.f32Add, op.f32Add,
    op.f32Store, 2, 0,
    // phase += down; while (phase >= up) { phase -= up; index++ }
    ...get(phase), ...get(down), op.i32Add, ...set(phase),
    op.block, VOID_BLOCK, op.loop, VOID_BLOCK,
    ...get(phase), ...get(up), op.i32LtU, op.brIf, 1,
    ...get(phase), ...get(up), op.i32Sub, ...set(phase),
    ...get(index), ...i32(1), op.i32Add, ...set(index),
    op.br, 0,
    op.end, op.end,
    ...get(n), ...i32(1), op.i32Add, ...tee(n), ...get(count), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
    op.end,
  ];
  const locals = vector([
    [6, I32],
    [1, V128],
  ]);
  const functionBody = [...locals, ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector([[0x60, ...vector(new Array(8).fill([I32])), 0]])), // type: (i32 × 8) → ()
    ...section(3, vector([[0]])), // one function of type 0
    ...section(5, vector([[0x00, 1]])), // one memory, 1 page minimum, no maximum
    ...section(
      7,
      vector([
        [...name('memory'), 0x02, 0],
        [...name('polyphase'), 0x00, 0],
      ]),
    ),
    ...section(10, vector([[...unsignedLeb(functionBody.length), ...functionBody]])),
  ]);
}

export interface PolyphaseKernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  polyphase(
    signal: number,
    taps: number,
    width: number,
    up: number,
    down: number,
    out: number,
    count: number,
    phase0: number,
  ): void;
}

/** The slice of the WebAssembly JS API used here (this project's TypeScript lib has no DOM types). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
let compiled: object | null | undefined;

/** A fresh kernel instance (own memory), or undefined where WebAssembly SIMD is unavailable. */
export function instantiatePolyphaseKernel(): PolyphaseKernel | undefined {
  if (compiled === undefined) {
    const bytes = assemble();
    compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  if (!wasm || compiled === null) return undefined;
  return new wasm.Instance(compiled).exports as PolyphaseKernel;
}
