import * as tf from '@tensorflow/tfjs';
import type { ScheduleConfig } from './config.js';

interface Moments {
  first: tf.Variable;
  second: tf.Variable;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter). Written out rather than taken from
 * `tf.train` so that its whole state (both moments of every weight) is plain, named and
 * checkpointable, which makes resumed runs bit-identical to uninterrupted ones.
 */
export class AdamW {
  readonly moments = new Map<string, Moments>();

  constructor(
    private readonly schedule: ScheduleConfig,
    weights: ReadonlyMap<string, tf.Variable>,
    private readonly decays: ReadonlySet<string>,
  ) {
    for (const [name, weight] of weights) {
      this.moments.set(
        name,
        tf.tidy(() => ({
          first: tf.variable(tf.zerosLike(weight), false),
          second: tf.variable(tf.zerosLike(weight), false),
        })),
      );
    }
  }

  /** One update at 0-based `step` with learning rate `rate`; gradients keyed by weight name. */
  apply(
    weights: ReadonlyMap<string, tf.Variable>,
    gradients: ReadonlyMap<string, tf.Tensor>,
    { step, rate }: { step: number; rate: number },
  ): void {
    const { adamBeta1: beta1, adamBeta2: beta2, adamEpsilon: epsilon, weightDecay } = this.schedule;
    const count = step + 1;
    // Bias corrections folded into the step size and epsilon (Kingma & Ba, end of section 2):
    // two fewer full-size ops per weight than correcting both moments explicitly.
    const stepSize = (rate * Math.sqrt(1 - beta2 ** count)) / (1 - beta1 ** count);
    const correctedEpsilon = epsilon * Math.sqrt(1 - beta2 ** count);
    tf.tidy(() => {
      for (const [name, weight] of weights) {
        const gradient = gradients.get(name);
        const moments = this.moments.get(name);
        if (!gradient || !moments) throw new Error(`no gradient or optimizer state for weight "${name}"`);
        moments.first.assign(tf.add(tf.mul(moments.first, beta1), tf.mul(gradient, 1 - beta1)));
        moments.second.assign(tf.add(tf.mul(moments.second, beta2), tf.mul(tf.square(gradient), 1 - beta2)));
        const adam = tf.mul(
          tf.div(moments.first, tf.add(tf.sqrt(moments.second), correctedEpsilon)),
          stepSize,
        );
        const update = this.decays.has(name) ? tf.add(adam, tf.mul(weight, rate * weightDecay)) : adam;
        weight.assign(tf.sub(weight, update));
      }
    });
  }

  dispose(): void {
    for (const { first, second } of this.moments.values()) {
      first.dispose();
      second.dispose();
    }
    this.moments.clear();
  }
}
