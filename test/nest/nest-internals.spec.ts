import {
  Body,
  Controller,
  Get,
  Query,
  RequestMethod,
  UsePipes,
  VERSION_NEUTRAL,
  ValidationPipe,
  VersioningType,
} from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import {
  METHOD_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
  RouteParamsFactory,
  RoutePathFactory,
  VERSION_METADATA,
} from '../../src/nest/nest-internals.js';

/**
 * What the library takes from Nest's non-public files (src/nest/nest-internals.ts), as it uses
 * it. Checked on @nestjs/core 11.2 and 12.5 (both ship these files with this behaviour); if a
 * Nest release moves them, this spec fails first.
 */
describe('Nest internals the library relies on', () => {
  it('reads route metadata under the keys @Controller, @Get and versions write', () => {
    @Controller({ path: 'cats', version: '2' })
    class CatsController {
      @Get(':id')
      one(): void {}
    }
    expect(Reflect.getMetadata(PATH_METADATA, CatsController)).toBe('cats');
    expect(Reflect.getMetadata(VERSION_METADATA, CatsController)).toBe('2');
    const handler = CatsController.prototype.one;
    expect(Reflect.getMetadata(PATH_METADATA, handler)).toBe(':id');
    expect(Reflect.getMetadata(METHOD_METADATA, handler)).toBe(RequestMethod.GET);
  });

  it('RoutePathFactory resolves global prefix, its exclusions and URI versions from ApplicationConfig', () => {
    const config = new ApplicationConfig();
    config.setGlobalPrefix('api');
    config.setGlobalPrefixOptions({
      exclude: [{ path: 'health', requestMethod: RequestMethod.GET, pathRegex: /^\/health\/?$/ }],
    } as never);
    config.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
    const factory = new RoutePathFactory(config);
    const create = (ctrlPath: string, controllerVersion?: string | string[] | symbol) =>
      factory.create(
        {
          ctrlPath,
          globalPrefix: config.getGlobalPrefix(),
          versioningOptions: config.getVersioning(),
          controllerVersion: controllerVersion as never,
        },
        RequestMethod.GET,
      );
    expect(create('/rooms/:id', '1')).toEqual(['/api/v1/rooms/:id']);
    expect(create('/rooms', ['1', '2'])).toEqual(['/api/v1/rooms', '/api/v2/rooms']);
    expect(create('/rooms', VERSION_NEUTRAL)).toEqual(['/api/rooms']);
    expect(create('/health', '1')).toEqual(['/v1/health']);
    expect(new RoutePathFactory(new ApplicationConfig()).create({ ctrlPath: 'plain' })).toEqual([
      '/plain',
    ]);
  });

  it('reads parameter decorators and method pipes under ROUTE_ARGS_METADATA and PIPES_METADATA; RouteParamsFactory reads the request', () => {
    const pipe = new ValidationPipe();
    class Endpoint {
      @UsePipes(pipe)
      onConnect(_sse: unknown, @Body('prompt') _prompt: string, @Query() _query: unknown): void {}
    }
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Endpoint, 'onConnect') as Record<
      string,
      { index: number; data?: string }
    >;
    expect(Object.values(args).map(({ index, data }) => [index, data])).toEqual(
      expect.arrayContaining([
        [1, 'prompt'],
        [2, undefined],
      ]),
    );
    expect(Reflect.getMetadata(PIPES_METADATA, Endpoint.prototype.onConnect)).toEqual([pipe]);
    const [bodyKey] = Object.keys(args).filter((key) => args[key].index === 1);
    const factory = new RouteParamsFactory();
    const req = { body: { prompt: 'hi' }, query: { lang: 'fr' } };
    const type = Number(bodyKey.split(':')[0]);
    expect(
      factory.exchangeKeyForValue(type, 'prompt', { req, res: {}, next: () => undefined }),
    ).toBe('hi');
  });
});
