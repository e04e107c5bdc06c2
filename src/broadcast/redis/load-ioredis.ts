import type { Redis as RedisClient } from 'ioredis';
import { BROADCAST_MESSAGES } from '../broadcast.messages.js';

/** @internal */
export type RedisConstructor = typeof RedisClient;

/**
 * Loads the optional `ioredis` peer dependency, only when the Redis transport is used.
 * @internal
 */
export async function loadIoredis(): Promise<RedisConstructor> {
  try {
    const module = (await import('ioredis')) as unknown as {
      Redis?: RedisConstructor;
      default?: RedisConstructor;
    };
    const Redis = module.Redis ?? module.default;
    if (!Redis) throw new Error('ioredis exports no Redis class');
    return Redis;
  } catch (error) {
    throw new Error(BROADCAST_MESSAGES.ioredisMissing, { cause: error });
  }
}
