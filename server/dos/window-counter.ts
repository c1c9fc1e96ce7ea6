// A sliding-window counter with constant memory: the window is cut into BUCKETS slices
// and only the slices younger than the window are summed, so the count drops smoothly
// as old traffic ages out (a fixed window would forget everything at once and let an
// attacker send twice the limit across a boundary). Several "lanes" share the slices,
// e.g. all requests and bad requests of one IP.

export const BUCKETS = 12;

export class WindowCounter {
  private readonly counts: Uint32Array;
  /** The slice number each bucket currently holds; -1 = never used. */
  private readonly slices = new Int32Array(BUCKETS).fill(-1);

  constructor(private readonly lanes: number) {
    this.counts = new Uint32Array(BUCKETS * lanes);
  }

  /**
   * Adds `n` to `lane` in slice number `slice` (time / slice length, never decreasing
   * by more than a window) and returns the lane's total over the window ending there.
   */
  add(lane: number, slice: number, n = 1): number {
    const bucket = slice % BUCKETS;
    if (this.slices[bucket] !== slice) {
      this.slices[bucket] = slice;
      this.counts.fill(0, bucket * this.lanes, (bucket + 1) * this.lanes);
    }
    this.counts[bucket * this.lanes + lane]! += n;
    return this.total(lane, slice);
  }

  /** The lane's total over the BUCKETS slices ending with `slice`. */
  total(lane: number, slice: number): number {
    let sum = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const s = this.slices[bucket]!;
      if (s > slice - BUCKETS && s <= slice) sum += this.counts[bucket * this.lanes + lane]!;
    }
    return sum;
  }
}
