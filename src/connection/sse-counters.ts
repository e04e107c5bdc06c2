/** Counters of one module (or handler), shared by its connections; read by `SseMetrics`. */
export class SseCounters {
  /** Events written to connections (one per connection and event; keepalives excluded). */
  eventsSent = 0;
  /** Bytes handed to sockets, keepalives included. */
  bytesWritten = 0;
  /** Events not written to a connection over its byte bound (`slowConsumer: 'drop'`). */
  eventsDropped = 0;
  /** Connections closed as slow consumers. */
  slowConsumerCloses = 0;
  /** Requests refused before a stream opened (limits, shutdown). */
  rejected = 0;
}
