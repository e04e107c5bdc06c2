/**
 * Type-level tests of typed events, compiled by `npm run test:types` (`tsc -p tsconfig.types.json`,
 * run in CI by `npm run lint`). Every `@ts-expect-error` line must fail to compile: if the types
 * stop catching a wrong name or wrong data, the directive is unused and the compile fails.
 */
import {
  BroadcastService,
  SseConnection,
  SseEndpoint,
  type OnSseConnect,
  type OnSseDisconnect,
  type SseDisconnectReason,
} from '../../src/index.js';

type Events = { notification: { text: string }; ping: undefined };
interface InterfaceEvents {
  notification: { text: string };
}

declare const broadcast: BroadcastService;

export async function publishing(): Promise<void> {
  const user = broadcast.channel<Events>('user:42');
  await user.publish('notification', { text: 'hi' });
  await user.publish('notification', { text: 'hi' }, { history: false });
  await user.publish('ping');
  // @ts-expect-error unknown event name
  await user.publish('notifcation', { text: 'hi' });
  // @ts-expect-error wrong data
  await user.publish('notification', { text: 42 });
  // @ts-expect-error missing data
  await user.publish('notification');
  // @ts-expect-error data on an event declared without
  await user.publish('ping', { text: 'hi' });
  await broadcast.channel<InterfaceEvents>('x').publish('notification', { text: 'hi' });
  // @ts-expect-error wrong data, with an interface as the map
  await broadcast.channel<InterfaceEvents>('x').publish('notification', { text: 1 });

  // Untyped use keeps working.
  await broadcast.publish('user:42', { event: 'anything', data: [1, 2] });
  await broadcast.channel('user:42').publish('anything', { any: 'data' });
}

@SseEndpoint('/typed')
export class TypedEndpoint
  implements OnSseConnect<SseConnection<Events>>, OnSseDisconnect<SseConnection<Events>>
{
  async onConnect(sse: SseConnection<Events>): Promise<void> {
    await sse.sendEvent({ event: 'notification', data: { text: 'hi' } });
    await sse.sendEvent({ event: 'notification', data: { text: 'hi' }, id: 7 });
    await sse.sendEvent({ event: 'ping' });
    sse.trySendEvent({ event: 'ping', retry: 1000 });
    // @ts-expect-error unknown event name
    await sse.sendEvent({ event: 'notifcation', data: { text: 'hi' } });
    // @ts-expect-error wrong data
    await sse.sendEvent({ event: 'notification', data: { text: 42 } });
    // @ts-expect-error missing data
    await sse.sendEvent({ event: 'notification' });
    // @ts-expect-error no event name
    await sse.sendEvent({ data: { text: 'hi' } });
    // @ts-expect-error wrong data, synchronous variant
    sse.trySendEvent({ event: 'notification', data: 'hi' });
    // A typed connection goes wherever a connection does.
    await broadcast.publish('room', 'hello', { except: sse });
  }

  onDisconnect(sse: SseConnection<Events>, reason: SseDisconnectReason): void {
    void sse.trySendEvent({ event: 'ping' });
    void reason;
  }
}

/** Without a type argument, as before: any event. */
export class UntypedEndpoint implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.sendEvent({ event: 'whatever', data: { any: 1 } });
    await sse.sendEvent({ data: 'no name' });
    await sse.sendEvent({ retry: 500 });
  }
}

/** A subclass of a typed connection keeps its map. */
class AppConnection extends SseConnection<Events> {
  notify(text: string): Promise<void> {
    return this.sendEvent({ event: 'notification', data: { text } });
  }
}

export async function subclass(sse: AppConnection): Promise<void> {
  await sse.notify('hi');
  // @ts-expect-error wrong data through a subclass
  await sse.sendEvent({ event: 'notification', data: { text: null } });
  const plain: SseConnection = sse;
  void plain;
}
