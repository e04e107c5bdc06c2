/** Something that wrote in this tick and has work to do when the tick's writes are flushed. */
export interface TickFlushTarget {
  flushTick(): void;
}

let pending: TickFlushTarget[] = [];
let spare: TickFlushTarget[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const targets = pending;
  pending = spare;
  for (let i = 0; i < targets.length; i++) targets[i].flushTick();
  targets.length = 0;
  spare = targets;
}

/**
 * Calls `target.flushTick()` once the current tick's synchronous code is done: one
 * `process.nextTick` for every connection written to in the tick, not one per connection.
 * Connections cork their socket on the first write of a tick and uncork it there, so a burst of
 * events leaves in one `writev` per socket; the byte bound is checked there too, after the tick's
 * writes reached the kernel (`writableLength` counts a corked tick's writes as pending).
 */
export function flushAtTickEnd(target: TickFlushTarget): void {
  pending.push(target);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flushAll);
  }
}
