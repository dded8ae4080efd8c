import type { ScheduleConfig } from './config.js';

/** Linear warm-up to the peak rate, then a cosine decay to the final rate at `totalSteps`. */
export function learningRate(schedule: ScheduleConfig, step: number): number {
  const { warmupSteps, totalSteps, peakLearningRate: peak, finalLearningRate: final } = schedule;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return final + 0.5 * (peak - final) * (1 + Math.cos(Math.PI * progress));
}

/** Target-encoder EMA momentum, raised linearly from start to end over the run (I-JEPA). */
export function emaMomentum(schedule: ScheduleConfig, step: number): number {
  const progress = Math.min(1, step / schedule.totalSteps);
  return schedule.emaMomentumStart + (schedule.emaMomentumEnd - schedule.emaMomentumStart) * progress;
}
