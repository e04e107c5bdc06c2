import { closedConnection } from './connection.messages.js';

/** Rejection of a write on a connection that has closed (or closes while the write waits for drain). */
export class SseClosedError extends Error {
  override readonly name = 'SseClosedError';
  constructor(readonly connectionId: string) {
    super(closedConnection(connectionId));
  }
}
