import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SSE_ENDPOINT_METADATA } from './constants.js';
import type { SseEndpointMetadata } from './decorators/sse-endpoint.decorator.js';

/** All reflection on `@SseEndpoint` happens here. */
@Injectable()
export class SseMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getEndpoint(target: Function | undefined): SseEndpointMetadata | undefined {
    if (!target) return undefined;
    return this.reflector.get<SseEndpointMetadata | undefined>(SSE_ENDPOINT_METADATA, target);
  }
}

/** Reads the metadata without DI, for `BroadcastService.toEndpoint(Class)`. */
export function endpointPathOf(target: Function): string | undefined {
  return (Reflect.getMetadata(SSE_ENDPOINT_METADATA, target) as SseEndpointMetadata | undefined)
    ?.path;
}
