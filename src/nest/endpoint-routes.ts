import { RequestMethod } from '@nestjs/common';
import type { ApplicationConfig } from '@nestjs/core';
import { isSseMethod, type SseMethod } from '../connection/index.js';
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

/** One route a controller or an endpoint serves, for clash detection. */
interface TakenRoute {
  owner: string;
  /** `'ALL'` for a controller's `@All()`, which answers every method. */
  method: SseMethod | 'ALL';
  path: string;
}

/**
 * Resolves endpoint paths exactly as Nest resolves controller paths (global prefix and its
 * exclusions, URI versioning, default version), and refuses one that a controller (or another
 * endpoint) already serves with the same method.
 */
export class EndpointRoutes {
  private readonly factory: RoutePathFactory;
  /** By path key: every route on that path, whatever its method. */
  private readonly taken = new Map<string, TakenRoute[]>();

  constructor(private readonly config: ApplicationConfig) {
    this.factory = new RoutePathFactory(config);
  }

  /** The full paths of an endpoint (several with several URI versions). */
  pathsOf(path: string, version: VersionValue | undefined, method: SseMethod): string[] {
    return this.resolve({ ctrlPath: path, controllerVersion: version }, RequestMethod[method]);
  }

  /** Records a controller's routes that would answer an endpoint's method. */
  addControllerRoutes(routes: ControllerRouteMetadata[]): void {
    for (const route of routes) {
      const method = methodOf(route.method);
      if (!method) continue;
      const { owner, ctrlPaths, methodPaths, controllerVersion, methodVersion } = route;
      for (const ctrlPath of ctrlPaths) {
        for (const methodPath of methodPaths) {
          const metadata: RouteMetadata = {
            ctrlPath,
            methodPath,
            controllerVersion,
            methodVersion,
          };
          for (const path of this.resolve(metadata, route.method)) {
            this.add({ owner, method, path });
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

  /**
   * Claims `method path` for an endpoint; throws when a controller or another endpoint answers
   * it. A path may have endpoints (or routes) of different methods.
   */
  claim(path: string, method: SseMethod, owner: string): void {
    const existing = this.taken
      .get(routeKey(path))
      ?.find((route) => route.method === method || route.method === 'ALL');
    if (existing) {
      const other = `${existing.method === 'ALL' ? method : existing.method} ${existing.path}`;
      throw new Error(SSE_MESSAGES.routeClash(`${method} ${path}`, owner, existing.owner, other));
    }
    this.add({ owner, method, path });
  }

  private add(route: TakenRoute): void {
    const key = routeKey(route.path);
    const routes = this.taken.get(key);
    if (routes) routes.push(route);
    else this.taken.set(key, [route]);
  }
}

/** The endpoint method a controller route answers (`ALL` answers all), or none of them. */
function methodOf(method: RequestMethod): SseMethod | 'ALL' | undefined {
  if (method === RequestMethod.ALL) return 'ALL';
  const name = RequestMethod[method];
  return isSseMethod(name) ? name : undefined;
}

/** `/rooms/:id` and `/rooms/:roomId` are the same route. */
function routeKey(path: string): string {
  return path.replace(/:[^/]+/g, ':').toLowerCase();
}
