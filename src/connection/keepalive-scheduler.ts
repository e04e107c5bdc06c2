/** Something the scheduler pings. */
export interface KeepaliveTarget {
  sendKeepalive(): void;
}

interface KeepaliveGroup {
  readonly timer: NodeJS.Timeout;
  readonly members: Set<KeepaliveTarget>;
}

/**
 * One timer per distinct interval, shared by every connection using that interval: a tick
 * writes a comment frame to each member. A group's timer is cleared when its last member leaves,
 * and timers are unref'd so they never keep a process alive on their own.
 */
export class KeepaliveScheduler {
  private readonly groups = new Map<number, KeepaliveGroup>();
  private readonly intervalOf = new Map<KeepaliveTarget, number>();

  /** Sets `target`'s interval in seconds; 0 (or less) removes it. */
  set(target: KeepaliveTarget, seconds: number): void {
    this.remove(target);
    if (!(seconds > 0)) return;
    const ms = Math.round(seconds * 1000);
    let group = this.groups.get(ms);
    if (!group) {
      const members = new Set<KeepaliveTarget>();
      const timer = setInterval(() => {
        for (const member of members) member.sendKeepalive();
      }, ms);
      timer.unref();
      group = { timer, members };
      this.groups.set(ms, group);
    }
    group.members.add(target);
    this.intervalOf.set(target, ms);
  }

  remove(target: KeepaliveTarget): void {
    const ms = this.intervalOf.get(target);
    if (ms === undefined) return;
    this.intervalOf.delete(target);
    const group = this.groups.get(ms)!;
    group.members.delete(target);
    if (group.members.size === 0) {
      clearInterval(group.timer);
      this.groups.delete(ms);
    }
  }

  /** Number of live timers (one per interval in use). */
  get timerCount(): number {
    return this.groups.size;
  }

  /** Number of connections receiving keepalives. */
  get size(): number {
    return this.intervalOf.size;
  }

  clear(): void {
    for (const group of this.groups.values()) clearInterval(group.timer);
    this.groups.clear();
    this.intervalOf.clear();
  }
}
