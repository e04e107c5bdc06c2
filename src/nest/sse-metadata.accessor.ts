import { Injectable, RequestMethod } from '@nestjs/common';
import { MetadataScanner, Reflector } from '@nestjs/core';
import { SSE_ENDPOINT_METADATA } from './constants.js';
import type {
  SseEndpointMetadata,
  SseEndpointVersion,
} from './decorators/sse-endpoint.decorator.js';
import {
  METHOD_METADATA,
  MODULE_METADATA,
  PATH_METADATA,
  VERSION_METADATA,
} from './nest-internals.js';

/** A route of a controller, as its decorators declare it. */
export interface ControllerRouteMetadata {
  /** `Class.method`, for messages. */
  owner: string;
  method: RequestMethod;
  ctrlPaths: string[];
  methodPaths: string[];
  controllerVersion?: SseEndpointVersion;
  methodVersion?: SseEndpointVersion;
}

/** All reflection of the module happens here: `@SseEndpoint`, and controllers' route metadata. */
@Injectable()
export class SseMetadataAccessor {
  private readonly scanner = new MetadataScanner();

  constructor(private readonly reflector: Reflector) {}

  getEndpoint(target: Function | undefined): SseEndpointMetadata | undefined {
    if (!target) return undefined;
    return this.reflector.get<SseEndpointMetadata | undefined>(SSE_ENDPOINT_METADATA, target);
  }

  /** What a module class declares in `@Module({ imports })`. */
  getModuleImports(module: Function): unknown[] {
    return this.reflector.get<unknown[] | undefined>(MODULE_METADATA.IMPORTS, module) ?? [];
  }

  /** Every route a controller class declares (`@Get`, `@Post`, …), with its paths and versions. */
  getControllerRoutes(controller: Function): ControllerRouteMetadata[] {
    const ctrlPaths = toArray(
      this.reflector.get<string | string[]>(PATH_METADATA, controller) ?? '/',
    );
    const controllerVersion = this.reflector.get<SseEndpointVersion | undefined>(
      VERSION_METADATA,
      controller,
    );
    const prototype = controller.prototype as Record<string, Function>;
    const routes: ControllerRouteMetadata[] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const method = this.reflector.get<RequestMethod | undefined>(METHOD_METADATA, handler);
      if (method === undefined) continue;
      routes.push({
        owner: `${controller.name}.${name}`,
        method,
        ctrlPaths,
        methodPaths: toArray(this.reflector.get<string | string[]>(PATH_METADATA, handler) ?? '/'),
        controllerVersion,
        methodVersion: this.reflector.get<SseEndpointVersion | undefined>(
          VERSION_METADATA,
          handler,
        ),
      });
    }
    return routes;
  }
}

/** Reads the metadata without DI, for `BroadcastService.toEndpoint(Class)`. */
export function endpointPathOf(target: Function): string | undefined {
  return (Reflect.getMetadata(SSE_ENDPOINT_METADATA, target) as SseEndpointMetadata | undefined)
    ?.path;
}

function toArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
