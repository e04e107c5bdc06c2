import { Injectable, SetMetadata, applyDecorators, type VERSION_NEUTRAL } from '@nestjs/common';
import type { SseEndpointOptions, SseMethod } from '../../connection/index.js';
import { SSE_ENDPOINT_METADATA } from '../constants.js';

/** A route version, as in `@Controller({ version })`. */
export type SseEndpointVersion =
  string | typeof VERSION_NEUTRAL | Array<string | typeof VERSION_NEUTRAL>;

/** `@SseEndpoint` options: the endpoint's settings, plus how Nest routes it. */
export interface SseEndpointDecoratorOptions extends SseEndpointOptions {
  /**
   * The HTTP method the endpoint answers: `'GET'` (default, what `EventSource` sends), or
   * `'POST'`, `'PUT'`, `'PATCH'`, `'DELETE'` for `fetch()` clients that send a body (parsed as for
   * a controller: `sse.request.body`, or `@Body()` on `onConnect`). A path may have one endpoint
   * per method.
   */
  method?: SseMethod;
  /**
   * With `app.enableVersioning({ type: VersioningType.URI })`: the version(s) of the endpoint's
   * route, as `@Controller({ version })` (`VERSION_NEUTRAL` allowed); default: `defaultVersion`.
   */
  version?: SseEndpointVersion;
}

export interface SseEndpointMetadata {
  path: string;
  options: SseEndpointDecoratorOptions;
}

/**
 * Makes a provider class an SSE endpoint served at `GET path` (or `options.method`; route params
 * such as `/rooms/:id` allowed; the global prefix applies). The class is also an `@Injectable()`
 * provider with constructor injection; list it in a module's `providers`.
 *
 * ```ts
 * @SseEndpoint('/notifications', { keepalive: 30 })
 * export class Notifications implements OnSseConnect, OnSseDisconnect { ... }
 * ```
 */
export function SseEndpoint(
  path: string,
  options: SseEndpointDecoratorOptions = {},
): ClassDecorator {
  const metadata: SseEndpointMetadata = { path, options };
  return applyDecorators(Injectable(), SetMetadata(SSE_ENDPOINT_METADATA, metadata));
}
