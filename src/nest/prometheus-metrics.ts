import type { SseMetrics } from './sse-metrics.js';

type PromClient = typeof import('prom-client');
type CounterKey =
  'eventsSent' | 'bytesWritten' | 'eventsDropped' | 'slowConsumerCloses' | 'rejected' | 'liveGaps';

/** Loads the optional `prom-client` peer dependency. */
async function loadPromClient(): Promise<PromClient> {
  try {
    const module = (await import('prom-client' as string)) as PromClient & { default?: PromClient };
    return module.default ?? module;
  } catch (error) {
    throw new Error(
      "metrics.prometheus needs the 'prom-client' package, an optional peer dependency: run `npm install prom-client`.",
      { cause: error },
    );
  }
}

/**
 * Registers the `SseMetrics` figures in prom-client's default registry, read at scrape time
 * (nothing is updated on the hot path). Returns a function that unregisters them.
 */
export async function registerPrometheusMetrics(metrics: SseMetrics): Promise<() => void> {
  const { Gauge, Counter, register } = await loadPromClient();
  const created: string[] = [];
  const gauge = (
    name: string,
    help: string,
    read: (g: InstanceType<typeof Gauge>) => void,
    labelNames: string[] = [],
  ) => {
    created.push(name);
    return new Gauge({
      name,
      help,
      labelNames,
      collect() {
        read(this);
      },
    });
  };
  const counter = (name: string, help: string, read: () => number) => {
    created.push(name);
    return new Counter({
      name,
      help,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  gauge('sse_connections', 'Open SSE streams in this process', (g) =>
    g.set(metrics.snapshot().connections),
  );
  gauge(
    'sse_endpoint_connections',
    'Open SSE streams per endpoint in this process',
    (g) => {
      g.reset();
      for (const [endpoint, count] of Object.entries(metrics.snapshot().byEndpoint))
        g.set({ endpoint }, count);
    },
    ['endpoint'],
  );
  gauge('sse_transport_up', '1 when the broadcast transport is up', (g) =>
    g.set(metrics.snapshot().transport === 'up' ? 1 : 0),
  );
  const counters: [name: string, help: string, key: CounterKey][] = [
    ['sse_events_sent_total', 'Events written to SSE streams', 'eventsSent'],
    ['sse_bytes_written_total', 'Bytes written to SSE streams', 'bytesWritten'],
    ['sse_events_dropped_total', 'Events dropped for slow consumers', 'eventsDropped'],
    ['sse_slow_consumer_closes_total', 'Streams closed as slow consumers', 'slowConsumerCloses'],
    ['sse_rejected_total', 'Requests refused before a stream opened', 'rejected'],
    [
      'sse_live_gaps_total',
      'Live streams that may have missed events after a Redis reconnect',
      'liveGaps',
    ],
  ];
  for (const [name, help, key] of counters) counter(name, help, () => metrics.snapshot()[key]);
  return () => created.forEach((name) => register.removeSingleMetric(name));
}
