import type { SseEventMap, TypedPublishArgs } from '../protocol/index.js';
import type { BroadcastService, PublishOptions } from './broadcast.service.js';

/**
 * One channel seen through an event map, from `broadcast.channel<Events>('user:42')`: `publish`
 * takes a declared event name and its declared data, checked at compile time. A thin view over
 * `BroadcastService.publish`.
 */
export class SseChannel<E extends SseEventMap = SseEventMap> {
  constructor(
    private readonly broadcast: BroadcastService,
    /** The channel's name. */
    readonly name: string,
  ) {}

  /**
   * Publishes `{ event, data }` to the channel, as `broadcast.publish(name, { event, data },
   * options)`. Data declared as `undefined` may be left out: it is sent as an empty `data:` line,
   * which an `EventSource` dispatches (an event without one is never dispatched).
   */
  publish<K extends keyof E & string>(
    event: K,
    ...[data, options]: TypedPublishArgs<E[K], PublishOptions>
  ): Promise<string | undefined> {
    return this.broadcast.publish(this.name, { event, data: data ?? '' }, options);
  }
}
