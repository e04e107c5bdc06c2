import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import type { ApplicationConfig } from '@nestjs/core';
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';
import type { SseEndpointVersion as VersionValue } from './decorators/sse-endpoint.decorator.js';
import { SSE_MESSAGES } from './sse.messages.js';

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
    const versioningOptions = this.config.getVersioning();
    return this.factory.create(
      {
        ctrlPath: path,
        globalPrefix: this.config.getGlobalPrefix(),
        versioningOptions,
        controllerVersion: versioningOptions
          ? (version ?? versioningOptions.defaultVersion)
          : undefined,
      },
      RequestMethod.GET,
    );
  }

  /** Records every GET (or ALL) route of a controller class. */
  addController(metatype: Function): void {
    const ctrlPaths = toArray<string>(Reflect.getMetadata(PATH_METADATA, metatype) ?? '/');
    const controllerVersion = Reflect.getMetadata(VERSION_METADATA, metatype) as
      VersionValue | undefined;
    const prototype = metatype.prototype as Record<string, unknown>;
    for (const name of methodNames(prototype)) {
      const handler = prototype[name] as Function;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method !== RequestMethod.GET && method !== RequestMethod.ALL) continue;
      const methodPaths = toArray<string>(Reflect.getMetadata(PATH_METADATA, handler) ?? '/');
      const methodVersion = Reflect.getMetadata(VERSION_METADATA, handler) as
        VersionValue | undefined;
      const versioningOptions = this.config.getVersioning();
      for (const ctrlPath of ctrlPaths) {
        for (const methodPath of methodPaths) {
          const paths = this.factory.create(
            {
              ctrlPath,
              methodPath,
              globalPrefix: this.config.getGlobalPrefix(),
              versioningOptions,
              controllerVersion: versioningOptions
                ? (controllerVersion ?? versioningOptions.defaultVersion)
                : undefined,
              methodVersion,
            },
            method,
          );
          for (const path of paths)
            this.taken.set(routeKey(path), { owner: `${metatype.name}.${name}`, path });
        }
      }
    }
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

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let p = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(p, name);
      if (typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}
