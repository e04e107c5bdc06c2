import { encodeEvent, type SseEvent, type SseEventMap } from '../protocol/index.js';
import { CHANNEL_NAME_REQUIRED, type SseConnection } from '../connection/index.js';
import { BROADCAST_MESSAGES } from './broadcast.messages.js';
import { SseChannel } from './sse-channel.js';
import type { SseTransport, TransportState } from './sse-transport.js';

export interface PublishOptions {
  /** Connections (or their ids, from any process) that must not receive this event. */
  except?: ReadonlyArray<string | SseConnection> | string | SseConnection;
  /**
   * `false` sends the event live only, even on a channel with history: not stored, sent without
   * an `id` (presence pings, typing indicators).
   */
  history?: boolean;
}

/** Maps an endpoint class to its path pattern (its channel); supplied by the Nest module. */
export type EndpointChannelResolver = (endpoint: Function) => string | undefined;

/** What `BroadcastService` reads of the channels in this process. */
export interface LocalChannels {
  /** Local members of `channel`. */
  count(channel: string): number;
  /** Local connections (in any channel). */
  connectionCount(): number;
}

const EVENT_KEYS = new Set(['data', 'event', 'id', 'retry']);

/**
 * Publishes events to channels, in this process and (with the Redis transport) in every process.
 * Inject it anywhere: `constructor(private readonly broadcast: BroadcastService) {}`.
 */
export class BroadcastService {
  constructor(
    private readonly channels: LocalChannels,
    private readonly transport: SseTransport,
    private readonly resolveEndpoint: EndpointChannelResolver = () => undefined,
  ) {}

  /**
   * Sends `event` to every connection in `channel`. `event` is either a value, sent as `data`
   * (JSON-encoded unless a string), or an object with `data` and optionally `event`, `id`,
   * `retry` and no other keys. The event is encoded once, here, and the same bytes go to every
   * member. Throws `TypeError` for an invalid field; resolves once the transport accepted it
   * (and, on a channel with history, stored it), with the id it assigned there.
   */
  publish(
    channel: string,
    event: unknown,
    options: PublishOptions = {},
  ): Promise<string | undefined> {
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new TypeError(CHANNEL_NAME_REQUIRED);
    }
    const sseEvent = toSseEvent(event);
    const stored = options.history !== false && this.transport.keepsHistory(channel);
    if (stored && sseEvent.id !== undefined) {
      throw new TypeError(BROADCAST_MESSAGES.idOnHistoryChannel(channel));
    }
    const body = Buffer.from(encodeEvent(sseEvent));
    return this.transport.publish(channel, body, {
      except: exceptIds(options.except),
      history: options.history,
    });
  }

  /**
   * `channel` seen through an event map: `broadcast.channel<Events>('user:42').publish('notification',
   * { text })` checks the event name and its data at compile time. `publish(channel, event)` keeps
   * taking anything.
   */
  channel<E extends SseEventMap = SseEventMap>(channel: string): SseChannel<E> {
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new TypeError(CHANNEL_NAME_REQUIRED);
    }
    return new SseChannel<E>(this, channel);
  }

  /** Publishes to every connection of an endpoint, given its class or its path pattern. */
  toEndpoint(
    endpoint: Function | string,
    event: unknown,
    options?: PublishOptions,
  ): Promise<string | undefined> {
    const channel = typeof endpoint === 'string' ? endpoint : this.resolveEndpoint(endpoint);
    if (!channel)
      throw new TypeError(BROADCAST_MESSAGES.notAnEndpoint((endpoint as Function).name));
    return this.publish(channel, event, options);
  }

  /** `'down'` while the transport cannot deliver (Redis unreachable); memory is always `'up'`. */
  get transportState(): TransportState {
    return this.transport.state;
  }

  /** Connections in this process: in `channel`, or all of them. */
  localCount(channel?: string): number {
    return channel === undefined ? this.channels.connectionCount() : this.channels.count(channel);
  }

  /**
   * Connections in `channel` (or all of them, without one) across every process: the "N watching"
   * figure. On memory, the local count. On Redis, this process's count is exact and the other
   * processes' are at most about a second old (each tells Redis its counts every second); a
   * process that stopped without closing (crashed, killed) drops out within 5 seconds (the
   * transport's `presence` option sets both), one that closed at once. Rejects
   * with `SseTransportError` when Redis can't be asked (unreachable or hung past
   * `publishTimeout`): catch it to show `localCount()` instead, or nothing.
   */
  globalCount(channel?: string): Promise<number> {
    if (channel !== undefined && (typeof channel !== 'string' || channel.length === 0)) {
      throw new TypeError(CHANNEL_NAME_REQUIRED);
    }
    return this.transport.globalCount?.(channel) ?? Promise.resolve(this.localCount(channel));
  }
}

/** `{ data, event?, id?, retry? }` is an event; any other value is the event's data. */
export function toSseEvent(value: unknown): SseEvent {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'data' in value) {
    const keys = Object.keys(value);
    if (keys.every((key) => EVENT_KEYS.has(key))) return value as SseEvent;
  }
  return { data: value };
}

function exceptIds(except: PublishOptions['except']): string[] | undefined {
  if (except === undefined) return undefined;
  const list = Array.isArray(except) ? except : [except];
  return list.map((item) => (typeof item === 'string' ? item : (item as SseConnection).id));
}
