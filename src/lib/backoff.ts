/** Exponential backoff with full jitter for queue retries: 10 s, 20 s, 40 s … capped at 15 min. */
export function retryDelaySeconds(attempts: number, random = Math.random): number {
  const ceiling = Math.min(900, 10 * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
