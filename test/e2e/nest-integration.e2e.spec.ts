import {
  Catch,
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  SetMetadata,
  UnauthorizedException,
  UseFilters,
  UseGuards,
  UseInterceptors,
  VersioningType,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost, NestFactory, Reflector } from '@nestjs/core';
import compression from 'compression';
import { createHmac } from 'node:crypto';
import { tap, type Observable } from 'rxjs';
import {
  SseEndpoint,
  SseModule,
  type AuthorizeSse,
  type OnSseConnect,
  type SseConnection,
} from '../../src/index.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';
import { sleep } from '../helpers/wait.js';

const SECRET = 'test-secret';
const sign = (sub: string) => {
  const body = Buffer.from(JSON.stringify({ sub })).toString('base64url');
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
};

/** A JWT-style guard: verifies an HMAC-signed bearer token and sets `request.user`. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const [body, mac] = (token ?? '').split('.');
    if (
      scheme !== 'Bearer' ||
      !body ||
      mac !== createHmac('sha256', SECRET).update(body).digest('base64url')
    ) {
      throw new UnauthorizedException('A valid bearer token is required');
    }
    request.user = {
      id: (JSON.parse(Buffer.from(body, 'base64url').toString()) as { sub: string }).sub,
    };
    return true;
  }
}

const Roles = (...roles: string[]) => SetMetadata('roles', roles);

/** A global guard (APP_GUARD) reading a custom decorator through the Reflector. */
@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[] | undefined>('roles', [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles) return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    return roles.includes(request.headers['x-role'] ?? '');
  }
}

@Injectable()
class Observed {
  readonly intercepted: { url: string; endpoint: string }[] = [];
  readonly filtered: { url: string; status: number }[] = [];
  readonly connected: SseConnection[] = [];
}

@Injectable()
class RecordingInterceptor implements NestInterceptor {
  constructor(private readonly observed: Observed) {}
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ url: string }>();
    this.observed.intercepted.push({ url: request.url, endpoint: context.getClass().name });
    return next.handle().pipe(tap(() => undefined));
  }
}

@Catch(ForbiddenException)
class ForbiddenFilter implements ExceptionFilter {
  static observed: Observed;
  static adapterHost: HttpAdapterHost;
  catch(exception: ForbiddenException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    ForbiddenFilter.observed.filtered.push({
      url: http.getRequest<{ url: string }>().url,
      status: exception.getStatus(),
    });
    ForbiddenFilter.adapterHost.httpAdapter.reply(http.getResponse(), { custom: 'no entry' }, 403);
  }
}

@SseEndpoint('/users/:id/events')
@UseGuards(TokenGuard)
@UseInterceptors(RecordingInterceptor)
@UseFilters(ForbiddenFilter)
class UserEvents implements OnSseConnect, AuthorizeSse {
  constructor(private readonly observed: Observed) {}
  authorize(sse: SseConnection): boolean {
    return (sse.request.user as { id: string }).id === sse.request.params.id;
  }
  async onConnect(sse: SseConnection): Promise<void> {
    this.observed.connected.push(sse);
    await sse.sendJson({ user: sse.request.user });
  }
}

@SseEndpoint('/admin/events')
@Roles('admin')
class AdminEvents implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.send('admin');
  }
}

@SseEndpoint('/open')
class OpenEvents implements OnSseConnect {
  constructor(private readonly observed: Observed) {}
  async onConnect(sse: SseConnection): Promise<void> {
    this.observed.connected.push(sse);
    await sse.send('open');
  }
}

@SseEndpoint('/versioned', { version: '2' })
class VersionedEvents implements OnSseConnect {
  async onConnect(sse: SseConnection): Promise<void> {
    await sse.send('v2');
  }
}

@Module({
  imports: [SseModule.forRoot()],
  providers: [
    Observed,
    RecordingInterceptor,
    UserEvents,
    AdminEvents,
    OpenEvents,
    VersionedEvents,
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
class SecuredModule {}

describe.each(PLATFORMS)('endpoints as Nest routes on %s', (platform) => {
  let server: TestApp;
  let observed: Observed;

  beforeAll(async () => {
    server = await startApp(SecuredModule, platform, (app) => {
      app.enableCors({ origin: 'https://app.example' });
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
      ForbiddenFilter.observed = app.get(Observed);
      ForbiddenFilter.adapterHost = app.get(HttpAdapterHost);
    });
    observed = server.app.get(Observed);
  });
  afterAll(() => server.close());

  it('answers 401 from the guard without a token, before any stream and without onConnect', async () => {
    const before = observed.connected.length;
    const client = await RawSseClient.open(`${server.url}/v1/users/42/events`);
    await client.waitForEnd();
    expect(client.status).toBe(401);
    expect(client.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(client.raw)).toMatchObject({
      statusCode: 401,
      message: 'A valid bearer token is required',
    });
    expect(observed.connected.length).toBe(before);
  });

  it('answers 403 through the endpoint filter when authorize refuses another user', async () => {
    const client = await RawSseClient.open(`${server.url}/v1/users/42/events`, {
      authorization: `Bearer ${sign('7')}`,
    });
    await client.waitForEnd();
    expect(client.status).toBe(403);
    expect(JSON.parse(client.raw)).toEqual({ custom: 'no entry' });
    expect(observed.filtered).toContainEqual({ url: '/v1/users/42/events', status: 403 });
  });

  it('opens the stream for the right user, with request.user set by the guard and the interceptor run', async () => {
    const client = await RawSseClient.open(`${server.url}/v1/users/42/events`, {
      authorization: `Bearer ${sign('42')}`,
    });
    await client.waitForEvents(1);
    expect(client.status).toBe(200);
    expect(JSON.parse(client.events[0].data)).toEqual({ user: { id: '42' } });
    expect(observed.intercepted).toContainEqual({
      url: '/v1/users/42/events',
      endpoint: 'UserEvents',
    });
    client.close();
  });

  it('applies global guards (APP_GUARD) reading custom metadata on the endpoint class', async () => {
    const refused = await RawSseClient.open(`${server.url}/v1/admin/events`);
    await refused.waitForEnd();
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.raw)).toMatchObject({
      statusCode: 403,
      message: 'Forbidden resource',
    });
    const admitted = await RawSseClient.open(`${server.url}/v1/admin/events`, {
      'x-role': 'admin',
    });
    await admitted.waitForEvents(1);
    expect(admitted.events[0].data).toBe('admin');
    admitted.close();
  });

  it('applies CORS and URI versioning like a controller route', async () => {
    const client = await RawSseClient.open(`${server.url}/v1/open`, {
      origin: 'https://app.example',
    });
    await client.waitForEvents(1);
    expect(client.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    client.close();
    const v2 = await RawSseClient.open(`${server.url}/v2/versioned`);
    await v2.waitForEvents(1);
    expect(v2.events[0].data).toBe('v2');
    v2.close();
    const unversioned = await RawSseClient.open(`${server.url}/open`);
    await unversioned.waitForEnd();
    expect(unversioned.status).toBe(404);
  });
});

@Controller('events')
class EventsController {
  @Get()
  list(): string[] {
    return [];
  }
}

@SseEndpoint('/events')
class ClashingEndpoint {}

@Module({
  imports: [SseModule.forRoot()],
  controllers: [EventsController],
  providers: [ClashingEndpoint],
})
class ClashModule {}

describe('route clashes', () => {
  it('fails at startup when an endpoint path is a controller route', async () => {
    const app = await NestFactory.create(ClashModule, { logger: false });
    await expect(app.init()).rejects.toThrow(
      'SSE endpoint ClashingEndpoint cannot be served at GET /events: EventsController.list already serves GET /events',
    );
    await app.close();
  });
});

describe('with compression() middleware (Express)', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startApp(SecuredModule, 'express', (app) => {
      app.use(compression());
    });
  });
  afterAll(() => server.close());

  it('delivers an event within 100 ms of the write, uncompressed', async () => {
    const observed = server.app.get(Observed);
    const client = await RawSseClient.open(`${server.url}/open`, {
      'accept-encoding': 'gzip, deflate, br',
    });
    await client.waitForEvents(1);
    expect(client.headers['content-encoding']).toBeUndefined();
    await sleep(50);
    const sse = observed.connected[observed.connected.length - 1];
    const written = performance.now();
    await sse.send('timed');
    await client.waitFor((c) => c.events.some((e) => e.data === 'timed'), 2000, 'the timed event');
    expect(performance.now() - written).toBeLessThan(100);
    client.close();
  });
});
