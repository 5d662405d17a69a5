/**
 * Node's setTimeout takes a signed 32-bit delay: anything longer (a client's timeout near 2^31 plus our
 * margin) is replaced by 1 ms, so the wait would end at once. Delays are clamped to the longest it keeps.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function clampTimerMs(ms: number): number {
  if (Number.isNaN(ms)) return 0;
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
