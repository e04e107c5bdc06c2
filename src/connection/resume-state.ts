/**
 * A connection's side of a `Last-Event-ID` replay: which channels it still has to replay, the gap
 * it was told about, and whether it is still connecting (channels joined in `onConnect` replay
 * together; see the broadcast layer's `ReplayBatch`).
 */
export class ResumeState {
  /** `null` until a replaying join; then whether some events may be lost. */
  gap: boolean | null = null;
  private replayedChannels: Set<string> | null = null;
  private isConnecting = true;
  /** Writes a replay collected across channels; set by the channels while one is pending. */
  private flush: (() => void) | null = null;

  /** `resuming`: the request carried a non-empty last event id, header or query (valid or not). */
  constructor(readonly resuming: boolean) {}

  /** `true` until `onConnect` has settled. */
  get connecting(): boolean {
    return this.isConnecting;
  }

  /** Whether joining `channel` must first replay what was missed: once per history channel. */
  takeReplayRequest(channel: string, channelKeepsHistory: boolean): boolean {
    if (!this.resuming || !channelKeepsHistory) return false;
    if (this.replayedChannels?.has(channel)) return false;
    (this.replayedChannels ??= new Set()).add(channel);
    return true;
  }

  noteReplay(gap: boolean): void {
    this.gap = this.gap === true || gap;
  }

  setFlush(flush: (() => void) | null): void {
    this.flush = flush;
  }

  /** Before the application writes: what it writes after `join` comes after that join's replay. */
  flushPending(): void {
    this.flush?.();
  }

  /** `onConnect` has settled: a replay collected while connecting is written now. */
  endConnecting(): void {
    this.isConnecting = false;
    this.flush?.();
  }
}
