import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import type { SseEndpointOptions } from '../../connection/index.js';
import { SSE_ENDPOINT_METADATA } from '../constants.js';

export interface SseEndpointMetadata {
  path: string;
  options: SseEndpointOptions;
}

/**
 * Makes a provider class an SSE endpoint served at `GET path` (route params such as
 * `/rooms/:id` allowed; the global prefix applies). The class is also an `@Injectable()`
 * provider with constructor injection; list it in a module's `providers`.
 *
 * ```ts
 * @SseEndpoint('/notifications', { keepalive: 30 })
 * export class Notifications implements OnSseConnect, OnSseDisconnect { ... }
 * ```
 */
export function SseEndpoint(path: string, options: SseEndpointOptions = {}): ClassDecorator {
  const metadata: SseEndpointMetadata = { path, options };
  return applyDecorators(Injectable(), SetMetadata(SSE_ENDPOINT_METADATA, metadata));
}
