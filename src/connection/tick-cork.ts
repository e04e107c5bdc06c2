import type { Socket } from 'node:net';

const corked: Socket[] = [];
let flushScheduled = false;

function uncorkAll(): void {
  flushScheduled = false;
  for (let i = 0; i < corked.length; i++) corked[i].uncork();
  corked.length = 0;
}

/**
 * Corks `socket` until the current tick ends, so that every frame written to it in this tick
 * leaves in one `writev`: a burst of events costs one syscall per socket, not one per event.
 * One `nextTick` for all sockets, not one per socket.
 */
export function corkUntilTickEnd(socket: Socket): void {
  if (socket.writableCorked) return;
  socket.cork();
  corked.push(socket);
  if (!flushScheduled) {
    flushScheduled = true;
    process.nextTick(uncorkAll);
  }
}
