import type { Redis } from 'ioredis';

import { packArgs, unpackLua, type ScriptArg } from './redis-packed-args.js';

export type { ScriptArg } from './redis-packed-args.js';

/** Messages in one script call at most: Redis runs a call as one unit, blocking other clients. */
const MAX_PER_CALL = 500;
/** Bytes of the messages' own arguments in one call at most (a large event fills a call alone). */
const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;

/**
 * A per-message Lua script (its `KEYS` and `ARGV` those of one message) run for many messages in
 * one call: the script's body becomes a function applied to each message's own `KEYS` and `ARGV`,
 * in order, each message on its own exactly as if sent alone (its own deadline check, its own
 * id). The call returns one result per message. The `ARGV` positions listed in `shared` are the
 * same for every message of a call and sent once, first (see {@link SharedArgs}); the messages'
 * own arguments follow as one argument ({@link packArgs}), each message's keys first: as their
 * positions in the call's `KEYS`, where each key is named once.
 *
 * `routed`: the messages' keys themselves travel in `ARGV` (in front of each message's own
 * arguments) and the call is written to their master's connection (`BatchMessage.connection`)
 * naming no key — or, without one, names its first message's key so that the cluster client
 * routes it there (one Redis: nothing routes, the keys are cheaper packed than named). A Redis
 * Cluster refuses a call whose named keys span slots, but lets a script without flags reach any
 * key or shard channel of the node it runs on: one call then carries a whole master's messages.
 * Naming no key also keeps a call on the master the slot map names while a slot migrates: a named
 * key absent there would send it on to the importing node (`ASK`), whose `SPUBLISH` reaches no
 * subscriber until the move ends.
 * @internal
 */
export class BatchedScript {
  readonly lua: string;

  constructor(
    /** The ioredis command name it is defined as. */
    readonly command: string,
    perMessageLua: string,
    readonly keysPerMessage: number,
    argsPerMessage: number,
    shared: readonly number[] = [],
    readonly routed = false,
  ) {
    // A message's own arguments tell the messages apart (there is always its deadline).
    const own = argsPerMessage - shared.length + keysPerMessage;
    if (own === keysPerMessage)
      throw new RangeError(`${command}: every message needs an argument of its own`);
    // A message's keys come first in its fields: the keys (routed), or their positions in KEYS.
    const keyOf = routed ? 'fields[next]' : 'KEYS[tonumber(fields[next])]';
    // ARGV: the shared values, then every message's own ones packed in one argument (packArgs).
    this.lua = `
local function one(KEYS, ARGV)
${perMessageLua}
end
local positions, shared = {${shared.join(', ')}}, {}
for j, position in ipairs(positions) do shared[position] = ARGV[j] end
local packed, at, i, results = ARGV[#positions + 1], 1, 0, {}
while at <= #packed do
  ${unpackLua(own)}
  local keys, argv, next = {}, {}, 1
  for k = 1, ${keysPerMessage} do keys[k] = ${keyOf}; next = next + 1 end
  for a = 1, ${argsPerMessage} do
    if shared[a] ~= nil then argv[a] = shared[a] else argv[a] = fields[next]; next = next + 1 end
  end
  i = i + 1
  results[i] = one(keys, argv)
end
return results
`;
  }

  /**
   * Whether a call of it can name keys of a slot that is half moved (some of them migrated):
   * Redis Cluster then answers `TRYAGAIN` and the client sends the call again later by itself.
   */
  get mayBeSentAgain(): boolean {
    return !this.routed && this.keysPerMessage > 0;
  }

  /** Makes the script callable on `client` (the caller passes the number of keys). */
  install(client: Redis): void {
    client.defineCommand(this.command, { lua: this.lua });
  }
}

/**
 * The shared arguments of a call, asked once per call when it is sent (so they are as fresh as
 * the call: e.g. the highest sequence number seen so far). Messages share a call only if they have
 * the same `SharedArgs`.
 * @internal
 */
export interface SharedArgs {
  args(): ScriptArg[];
}

/** One message for a {@link BatchedScript}. @internal */
export interface BatchMessage {
  script: BatchedScript;
  keys: readonly string[];
  /** The message's own arguments, in `ARGV` order, without the shared ones. */
  args: readonly ScriptArg[];
  shared?: SharedArgs;
  /**
   * Messages of one route go in one call, in the order they were added; messages of different
   * routes never share a call (on a cluster: one route per slot or node). Unset: one route.
   */
  route?: string;
  /** On a cluster: the master (`host:port`) the call goes to, so a publish waits while it is down. */
  node?: string;
  /**
   * A `routed` message: the connection to its master, written to directly with no key named (see
   * {@link BatchedScript}); unset: the call names its first message's key and the client routes it.
   */
  connection?: Redis;
}

/** Told the outcome of its message: the script's result for it, or the call's error. @internal */
export interface BatchReceiver {
  /** Settled before it was written (its deadline passed): it will not be. */
  readonly settled: boolean;
  /** Asked just before its message is written: `false` leaves it out (it settled meanwhile). */
  writing(): boolean;
  answered(error: unknown, result?: unknown): void;
}

interface Queued {
  message: BatchMessage;
  receiver: BatchReceiver;
}

interface Route {
  client: Redis;
  queued: Queued[];
}

/** The calls of a route sent one at a time: what waits for the one in flight, in order. */
interface Lane {
  client: Redis;
  queued: Queued[];
  busy: boolean;
  /** How many were queued after it last dropped the settled ones (at least a call's worth). */
  kept: number;
}

/**
 * Collects what one tick publishes and sends it at the tick's end, per route, as few script calls
 * as the order allows (consecutive messages of one script, up to {@link MAX_PER_CALL}): one write
 * and one round trip instead of one per publish. Calls of a route are written in the order their
 * messages were added, on one connection, so a publisher's order holds.
 *
 * `oneCallAtATime` (a cluster): a route's next call is written only once its previous one is
 * answered, if its calls name several keys. A cluster client redirects a call by itself (`MOVED`,
 * `ASK`, at once and in order) and sends one again 100 ms later when its keys' slot is half moved
 * (`TRYAGAIN`: a key migrated and another not yet): a later call written meanwhile could run
 * first — out of publish order. A call naming one key (or none) never gets `TRYAGAIN`.
 * @internal
 */
export class RedisPublishBatch {
  private routes = new Map<string, Route>();
  private scheduled = false;
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly oneCallAtATime = false) {}

  /** Messages waiting behind a call in flight. */
  get waiting(): number {
    let waiting = 0;
    for (const lane of this.lanes.values()) waiting += lane.queued.length;
    return waiting;
  }

  add(client: Redis, message: BatchMessage, receiver: BatchReceiver): void {
    const key = message.route ?? '';
    let route = this.routes.get(key);
    if (route && route.client !== client) {
      this.routes.delete(key);
      this.send(key, route);
      route = undefined;
    }
    if (!route) this.routes.set(key, (route = { client, queued: [] }));
    route.queued.push({ message, receiver });
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current macrotask's code and the promise reactions it started.
    process.nextTick(() => this.flush());
  }

  /**
   * Sends what is queued now, not at the tick's end; `everything` (the connection is about to
   * close): also what waits behind a call in flight.
   */
  flush(everything = false): void {
    this.scheduled = false;
    const routes = this.routes;
    this.routes = new Map();
    for (const [key, route] of routes) this.send(key, route);
    if (!everything) return;
    for (const [key, lane] of this.lanes) {
      this.lanes.delete(key);
      for (const part of parts(lane.queued)) call(lane.client, part);
    }
  }

  private send(key: string, route: Route): void {
    if (!this.oneCallAtATime || !route.queued[0].message.script.mayBeSentAgain) {
      for (const part of parts(route.queued)) call(route.client, part);
      return;
    }
    let lane = this.lanes.get(key);
    if (!lane)
      this.lanes.set(
        key,
        (lane = { client: route.client, queued: [], busy: false, kept: MAX_PER_CALL }),
      );
    lane.client = route.client;
    for (const queued of route.queued) lane.queued.push(queued);
    // Behind a call Redis does not answer (it hangs), what waits reaches its deadline and
    // settles: drop it rather than keep every message published meanwhile.
    if (lane.queued.length > 2 * lane.kept) {
      lane.queued = lane.queued.filter(({ receiver }) => !receiver.settled);
      lane.kept = Math.max(MAX_PER_CALL, lane.queued.length);
    }
    if (!lane.busy) this.next(key, lane);
  }

  /** Writes the lane's next call; when it is answered, the one after. */
  private next(key: string, lane: Lane): void {
    if (lane.queued.length === 0) {
      this.lanes.delete(key);
      return;
    }
    const [part] = parts(lane.queued);
    lane.queued.splice(0, part.length);
    lane.busy = true;
    call(lane.client, part, () => {
      lane.busy = false;
      if (this.lanes.get(key) === lane) this.next(key, lane);
    });
  }
}

/** The calls `queued` makes: consecutive messages of one script and shared arguments. */
function parts(queued: Queued[]): Queued[][] {
  const result: Queued[][] = [];
  for (let start = 0; start < queued.length;) {
    const { script, shared } = queued[start].message;
    let bytes = sizeOf(queued[start].message);
    let end = start + 1;
    while (
      end < queued.length &&
      end - start < MAX_PER_CALL &&
      queued[end].message.script === script &&
      queued[end].message.shared === shared &&
      (bytes += sizeOf(queued[end].message)) <= MAX_BYTES_PER_CALL
    )
      end++;
    result.push(queued.slice(start, end));
    start = end;
  }
  return result;
}

/** About the bytes of a message's own arguments (a string's length in UTF-16 units). */
function sizeOf(message: BatchMessage): number {
  let bytes = 0;
  for (const arg of message.args) bytes += typeof arg === 'number' ? 8 : arg.length;
  return bytes;
}

function call(client: Redis, queued: Queued[], answered?: () => void): void {
  const part = queued.filter(({ receiver }) => receiver.writing());
  if (part.length === 0) return answered?.();
  const { script, shared, connection } = part[0].message;
  const keys: string[] = [];
  const own: ScriptArg[] = [];
  if (script.routed && connection) {
    if (!(script.command in connection)) script.install(connection);
    client = connection;
  }
  if (script.routed) {
    if (!connection) keys.push(part[0].message.keys[0]);
    for (const { message } of part) {
      for (const key of message.keys) own.push(key);
      for (const arg of message.args) own.push(arg);
    }
  } else {
    // Each key named once (a counter's key is in every message of its slot), then its position.
    const positions = new Map<string, number>();
    for (const { message } of part) {
      for (const key of message.keys) {
        let position = positions.get(key);
        if (position === undefined) positions.set(key, (position = keys.push(key)));
        own.push(position);
      }
      for (const arg of message.args) own.push(arg);
    }
  }
  const args: ScriptArg[] = shared ? shared.args() : [];
  args.push(packArgs(own));
  let reply: Promise<unknown[]>;
  try {
    reply = (client as unknown as Record<string, ScriptCall>)[script.command](
      keys.length,
      ...keys,
      ...args,
    );
  } catch (error) {
    reply = Promise.reject(error);
  }
  reply.then(
    (results) => {
      part.forEach(({ receiver }, i) => receiver.answered(null, results[i]));
      answered?.();
    },
    (error: unknown) => {
      part.forEach(({ receiver }) => receiver.answered(error));
      answered?.();
    },
  );
}

type ScriptCall = (...args: ScriptArg[]) => Promise<unknown[]>;
