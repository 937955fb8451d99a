/**
 * A small LRU bounded by entry count and by bytes, with per-entry expiry. Pure: the clock is
 * passed in, so tests control time. A Map keeps insertion order, which is the recency order here
 * because every hit re-inserts its key.
 */
export type LruOptions = { maxEntries: number; maxBytes: number };

type Slot<V> = { value: V; bytes: number; expiresAt: number };

export class Lru<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private totalBytes = 0;

  constructor(private readonly options: LruOptions) {
    if (options.maxEntries < 1 || options.maxBytes < 1) throw new RangeError("LRU bounds must be positive");
  }

  get size(): number {
    return this.slots.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** The live value under key (marking it most recent), or undefined when absent or expired. */
  get(key: string, now: number): V | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Stores value until `expiresAt`; a value larger than the byte bound is not stored at all. */
  set(key: string, value: V, bytes: number, expiresAt: number): boolean {
    this.delete(key);
    if (bytes > this.options.maxBytes) return false;
    this.slots.set(key, { value, bytes, expiresAt });
    this.totalBytes += bytes;
    this.evict();
    return true;
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    this.totalBytes -= slot.bytes;
  }

  clear(): void {
    this.slots.clear();
    this.totalBytes = 0;
  }

  private evict(): void {
    while (this.slots.size > this.options.maxEntries || this.totalBytes > this.options.maxBytes) {
      const oldest = this.slots.keys().next();
      if (oldest.done) return;
      this.delete(oldest.value);
    }
  }
}
