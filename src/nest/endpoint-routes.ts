import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, type ApplicationConfig } from '@nestjs/core';
import type { SseEndpointVersion as VersionValue } from './decorators/sse-endpoint.decorator.js';
import {
  METHOD_METADATA,
  PATH_METADATA,
  RoutePathFactory,
  VERSION_METADATA,
} from './nest-internals.js';
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
  private readonly scanner = new MetadataScanner();
  private readonly taken = new Map<string, ControllerRoute>();

  constructor(private readonly config: ApplicationConfig) {
    this.factory = new RoutePathFactory(config);
  }

  /** The full paths of an endpoint (several with several URI versions). */
  pathsOf(path: string, version: VersionValue | undefined): string[] {
    return this.resolve({ ctrlPath: path, controllerVersion: version }, RequestMethod.GET);
  }

  /** Records every GET (or ALL) route of a controller class. */
  addController(metatype: Function): void {
    const ctrlPaths = toArray<string>(Reflect.getMetadata(PATH_METADATA, metatype) ?? '/');
    const controllerVersion = Reflect.getMetadata(VERSION_METADATA, metatype) as
      VersionValue | undefined;
    const prototype = metatype.prototype as Record<string, Function>;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method !== RequestMethod.GET && method !== RequestMethod.ALL) continue;
      const methodPaths = toArray<string>(Reflect.getMetadata(PATH_METADATA, handler) ?? '/');
      const methodVersion = Reflect.getMetadata(VERSION_METADATA, handler) as
        VersionValue | undefined;
      for (const ctrlPath of ctrlPaths) {
        for (const methodPath of methodPaths) {
          const route: RouteMetadata = { ctrlPath, methodPath, controllerVersion, methodVersion };
          for (const path of this.resolve(route, method)) {
            this.taken.set(routeKey(path), { owner: `${metatype.name}.${name}`, path });
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

function toArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}
