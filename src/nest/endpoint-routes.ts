import { RequestMethod } from '@nestjs/common';
import type { ApplicationConfig } from '@nestjs/core';
import type { SseEndpointVersion as VersionValue } from './decorators/sse-endpoint.decorator.js';
import { RoutePathFactory } from './nest-internals.js';
import type { ControllerRouteMetadata } from './sse-metadata.accessor.js';
import { SSE_MESSAGES } from './sse.messages.js';

/** A route as written on a controller (or endpoint) and its method. */
interface RouteMetadata {
  ctrlPath: string;
  methodPath?: string;
  controllerVersion?: VersionValue;
  methodVersion?: VersionValue;
}

/** One GET route a controller serves, for clash detection. */
interface ControllerRoute {
  owner: string;
  path: string;
}

/**
 * Resolves endpoint paths exactly as Nest resolves controller paths (global prefix and its
 * exclusions, URI versioning, default version), and refuses one that a controller already serves.
 */
export class EndpointRoutes {
  private readonly factory: RoutePathFactory;
  private readonly taken = new Map<string, ControllerRoute>();

  constructor(private readonly config: ApplicationConfig) {
    this.factory = new RoutePathFactory(config);
  }

  /** The full paths of an endpoint (several with several URI versions). */
  pathsOf(path: string, version: VersionValue | undefined): string[] {
    return this.resolve({ ctrlPath: path, controllerVersion: version }, RequestMethod.GET);
  }

  /** Records a controller's routes that would answer a GET (`@Get`, `@All`). */
  addControllerRoutes(routes: ControllerRouteMetadata[]): void {
    for (const {
      owner,
      method,
      ctrlPaths,
      methodPaths,
      controllerVersion,
      methodVersion,
    } of routes) {
      if (method !== RequestMethod.GET && method !== RequestMethod.ALL) continue;
      for (const ctrlPath of ctrlPaths) {
        for (const methodPath of methodPaths) {
          const route: RouteMetadata = { ctrlPath, methodPath, controllerVersion, methodVersion };
          for (const path of this.resolve(route, method)) {
            this.taken.set(routeKey(path), { owner, path });
          }
        }
      }
    }
  }

  /** Nest's own resolution: global prefix (and its exclusions), URI versioning, default version. */
  private resolve(route: RouteMetadata, method: RequestMethod): string[] {
    const versioningOptions = this.config.getVersioning();
    return this.factory.create(
      {
        ...route,
        globalPrefix: this.config.getGlobalPrefix(),
        versioningOptions,
        controllerVersion: versioningOptions
          ? (route.controllerVersion ?? versioningOptions.defaultVersion)
          : undefined,
      },
      method,
    );
  }

  /** Claims `path` for an endpoint; throws when a controller or another endpoint has it. */
  claim(path: string, owner: string): void {
    const existing = this.taken.get(routeKey(path));
    if (existing)
      throw new Error(SSE_MESSAGES.routeClash(path, owner, existing.owner, existing.path));
    this.taken.set(routeKey(path), { owner, path });
  }
}

/** `/rooms/:id` and `/rooms/:roomId` are the same route. */
function routeKey(path: string): string {
  return path.replace(/:[^/]+/g, ':').toLowerCase();
}
