/**
 * Every import of Nest that is not public API, in one place.
 *
 * `@nestjs/core` exports no `RoutePathFactory` from its index (Nest 12 has none in
 * `@nestjs/core/internal` either), nor the `RouteParamsFactory` that reads `@Body()`, `@Query()`,
 * … from a request, and `@nestjs/common` exports its metadata keys only from `constants.js`. We
 * use them so that an endpoint's path resolves exactly as a controller's (global prefix and its
 * exclusions, URI versioning), and its `onConnect` parameters as a handler's. A minor Nest release may move them:
 * `test/nest/nest-internals.spec.ts` checks what we rely on (checked on @nestjs/core 11.2 and
 * 12.5), and `npm run test:nest11` runs the built package on Nest 11.
 */
export {
  METHOD_METADATA,
  MODULE_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
  VERSION_METADATA,
} from '@nestjs/common/constants.js';
export { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';
export { RouteParamsFactory } from '@nestjs/core/router/route-params-factory.js';
