/** Mean of the squared values (a signal's power); 0 for an empty signal. */
export function meanSquare(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return values.length > 0 ? sum / values.length : 0;
}
