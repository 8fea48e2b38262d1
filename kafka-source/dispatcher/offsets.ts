// Pure: which offset a partition may commit. Records complete out of order (unordered delivery), but a
// commit says "everything before this offset is done", so it only moves over a contiguous run of done
// records, like eventing-kafka-broker's OffsetManager.OffsetTracker. Unlike its BitSet, this keeps the
// offsets actually received, so gaps in the log (compaction, transaction markers) never block it.

export class OffsetTracker {
  /** Received and not yet passed by the commit point, in offset order. */
  #pending: number[] = [];
  #done = new Set<number>();
  #next: number | undefined;
  #committed: number | undefined;
  #last = -1;

  /**
   * Records a fetched offset; offsets must arrive in increasing order. False (and ignored) for an
   * offset at or below the last one: the fetch position moved back, and the scheduler then starts
   * a new tracker for the partition.
   */
  received(offset: number): boolean {
    if (offset <= this.#last) return false;
    this.#last = offset;
    this.#pending.push(offset);
    return true;
  }

  /** Marks a record delivered or dead-lettered; returns false for an offset that is not pending. */
  done(offset: number): boolean {
    if (!this.#pending.includes(offset) || this.#done.has(offset)) return false;
    this.#done.add(offset);
    while (this.#pending.length > 0 && this.#done.has(this.#pending[0] as number)) {
      const head = this.#pending.shift() as number;
      this.#done.delete(head);
      this.#next = head + 1;
    }
    return true;
  }

  /** The offset to commit (the next one to read): every received record below it is done. */
  get committable(): number | undefined {
    return this.#next;
  }

  /** The committable offset when it is ahead of the last commit, else undefined. */
  toCommit(): number | undefined {
    if (this.#next === undefined) return undefined;
    return this.#committed === undefined || this.#next > this.#committed ? this.#next : undefined;
  }

  markCommitted(offset: number): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }

  /** Records received and not yet passed by the commit point (done or not). */
  get pending(): number {
    return this.#pending.length;
  }
}
