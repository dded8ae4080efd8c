/**
 * Averages the channels into one. A single channel is returned as is (no copy), so callers that
 * mutate the result must copy it first. Averaging (rather than summing) keeps full scale at 1.
 */
export function downmixToMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) throw new RangeError('downmixToMono needs at least one channel');
  if (channels.length === 1) return channels[0];
  const length = channels[0].length;
  if (channels.some((channel) => channel.length !== length)) {
    throw new RangeError('downmixToMono channels must all have the same length');
  }
  // One pass per channel after the first, the scaling fused into the last: downmixing is a
  // visible share of extract() (benchmarks), and stereo is the common case.
  const mono = channels[0].slice();
  const last = channels.length - 1;
  for (let c = 1; c < last; c++) {
    const channel = channels[c];
    for (let i = 0; i < length; i++) mono[i] += channel[i];
  }
  const scale = 1 / channels.length;
  const final = channels[last];
  for (let i = 0; i < length; i++) mono[i] = (mono[i] + final[i]) * scale;
  return mono;
}
