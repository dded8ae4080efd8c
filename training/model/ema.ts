import * as tf from '@tensorflow/tfjs';

/** target ← momentum · target + (1 − momentum) · online, for every target weight. */
export function emaUpdate(
  target: ReadonlyMap<string, tf.Variable>,
  online: ReadonlyMap<string, tf.Variable>,
  momentum: number,
): void {
  tf.tidy(() => {
    const keep = tf.scalar(momentum);
    const take = tf.scalar(1 - momentum);
    for (const [name, targetWeight] of target) {
      const onlineWeight = online.get(name);
      if (!onlineWeight) throw new Error(`EMA target weight "${name}" has no online counterpart`);
      targetWeight.assign(tf.add(tf.mul(targetWeight, keep), tf.mul(onlineWeight, take)));
    }
  });
}
