import { SSE_MESSAGES } from '../sse.messages.js';
import { expressPlatform } from './express.platform.js';
import { fastifyPlatform } from './fastify.platform.js';
import type { SsePlatform } from './sse-platform.js';

export type { SsePlatform } from './sse-platform.js';

export function platformFor(type: string): SsePlatform {
  if (type === 'express') return expressPlatform;
  if (type === 'fastify') return fastifyPlatform;
  throw new Error(SSE_MESSAGES.unsupportedPlatform(type));
}
