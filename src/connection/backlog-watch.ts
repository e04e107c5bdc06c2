/** A connection whose backlog went over its byte bound, checked until it is back under it. */
export interface BacklogWatchTarget {
  /** Called about once a second; `false` stops the checks (back under the bound, or dealt with). */
  checkBacklog(): boolean;
}

/** Milliseconds between two checks of a watched backlog: the grace a draining client gets. */
export const BACKLOG_CHECK_MS = 1000;

/** Checked at the next tick of the timer. */
const watching = new Set<BacklogWatchTarget>();
/** Added since the last tick: first checked at the tick after next, a full interval later. */
const added = new Set<BacklogWatchTarget>();
let timer: NodeJS.Timeout | null = null;

function tick(): void {
  for (const target of watching) if (!target.checkBacklog()) watching.delete(target);
  for (const target of added) watching.add(target);
  added.clear();
  if (watching.size === 0 && timer) {
    clearInterval(timer);
    timer = null;
  }
}

/**
 * Checks `target.checkBacklog()` every {@link BACKLOG_CHECK_MS} until it returns `false`, the
 * first time one to two intervals from now. One shared timer for the whole process (unref'd,
 * running only while something is watched): no timer per connection, nothing on the hot path.
 */
export function watchBacklog(target: BacklogWatchTarget): void {
  added.add(target);
  timer ??= setInterval(tick, BACKLOG_CHECK_MS).unref();
}
