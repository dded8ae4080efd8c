import { instantiatePolyphaseKernel, type PolyphaseKernel } from './polyphase-kernel.js';

/** Outputs per kernel call: bounds the module's memory (~4 × 16 K × (1 + down/up) bytes + taps). */
const BLOCK_OUTPUTS = 16_384;
const PAGE_BYTES = 65_536;

/**
 * Runs an exact polyphase table through the WebAssembly SIMD kernel, block by block: each block's
 * input span (plus the filter's reach, zero-filled past the signal's ends) is copied into the
 * module's memory, so memory stays small however long the signal is. Produces the same values as
 * the scalar loop up to float32 rounding of the sums.
 */
export class SimdPolyphase {
  private readonly kernel: PolyphaseKernel;
  private readonly width: number;
  private readonly signalAt: number;
  private readonly outputAt: number;
  private readonly memory: Float32Array;

  private constructor(
    kernel: PolyphaseKernel,
    taps: Float32Array,
    tapsPerRow: number,
    private readonly up: number,
    private readonly down: number,
    private readonly halfWidth: number,
  ) {
    this.kernel = kernel;
    // Rows padded to a multiple of 4 taps for the 4-lane loads; the padding taps are zero.
    this.width = Math.ceil(tapsPerRow / 4) * 4;
    const rows = taps.length / tapsPerRow;
    const tapFloats = rows * this.width;
    const maxSpan = Math.ceil((BLOCK_OUTPUTS * down) / up) + this.width + 8;
    this.signalAt = align4(tapFloats);
    this.outputAt = align4(this.signalAt + maxSpan);
    const bytes = (this.outputAt + BLOCK_OUTPUTS) * 4;
    const pages = Math.ceil(bytes / PAGE_BYTES) - kernel.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) kernel.memory.grow(pages);
    this.memory = new Float32Array(kernel.memory.buffer);
    for (let row = 0; row < rows; row++) {
      this.memory.set(taps.subarray(row * tapsPerRow, (row + 1) * tapsPerRow), row * this.width);
    }
  }

  static create(
    taps: Float32Array,
    tapsPerRow: number,
    up: number,
    down: number,
    halfWidth: number,
  ): SimdPolyphase | undefined {
    const kernel = instantiatePolyphaseKernel();
    return kernel && new SimdPolyphase(kernel, taps, tapsPerRow, up, down, halfWidth);
  }

  process(signal: Float32Array, output: Float32Array): void {
    const { memory, up, down, halfWidth, width } = this;
    for (let first = 0; first < output.length; first += BLOCK_OUTPUTS) {
      const count = Math.min(BLOCK_OUTPUTS, output.length - first);
      const index = Math.floor((first * down) / up);
      const phase = (first * down) % up;
      const lastIndex = Math.floor(((first + count - 1) * down) / up);
      // Span element k holds signal[index - halfWidth + k]; the kernel reads k in [1, last + width].
      const spanStart = index - halfWidth;
      const spanLength = lastIndex - index + width + 2;
      const from = Math.max(0, spanStart);
      const to = Math.min(signal.length, spanStart + spanLength);
      memory.fill(0, this.signalAt, this.signalAt + spanLength);
      if (to > from) memory.set(signal.subarray(from, to), this.signalAt + (from - spanStart));
      this.kernel.polyphase(this.signalAt * 4, 0, width, up, down, this.outputAt * 4, count, phase);
      output.set(memory.subarray(this.outputAt, this.outputAt + count), first);
    }
  }
}

/** Float index rounded up to a 16-byte boundary. */
function align4(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}
