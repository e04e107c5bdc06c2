import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module, type Type } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { fetchSse } from '../helpers/fetch-sse.js';
import { RawSseClient } from '../helpers/raw-sse-client.js';

/**
 * The README's quick start and its guard and custom-connection recipes, run as written: extracted
 * by scripts/readme-snippets.mjs (as `npm run test:readme` does), imported, served, and used by
 * real HTTP clients. `npm run test:readme` proves they compile; this proves they do what the
 * README says.
 */
const OUT = '.build/readme-e2e';

interface Snippets {
  AppModule: Type<unknown>;
  UserEvents: Type<unknown>;
  InboxEndpoint: Type<unknown>;
  ChatEndpoint: Type<unknown>;
}

let loaded: Promise<Snippets> | undefined;

/** Extracts the README's blocks once, then imports them (one at a time: jest's ESM loader). */
function loadSnippets(): Promise<Snippets> {
  loaded ??= (async () => {
    execFileSync(process.execPath, ['scripts/readme-snippets.mjs', OUT]);
    // Paths built at run time: the files exist only once the script above has written them.
    const load = (file: string) => import(`../../${OUT}/${file}`);
    const { AppModule } = await load('quickstart/app.module.js');
    const { UserEvents } = await load('auth/user-events.endpoint.js');
    const { InboxEndpoint } = await load('auth/inbox.endpoint.js');
    const { ChatEndpoint } = await load('chat/chat.endpoint.js');
    return { AppModule, UserEvents, InboxEndpoint, ChatEndpoint };
  })();
  return loaded;
}

describe.each(PLATFORMS)('README snippets, as written, on %s', (platform) => {
  let app: TestApp;
  const clients: RawSseClient[] = [];
  const open = async (path: string) => {
    const client = await RawSseClient.open(`${app.url}${path}`);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const { AppModule, UserEvents, InboxEndpoint, ChatEndpoint } = await loadSnippets();
    @Module({ imports: [AppModule], providers: [UserEvents, InboxEndpoint, ChatEndpoint] })
    class ReadmeApp {}
    app = await startApp(ReadmeApp, platform);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.close();
  });

  it('quick start: connected on open, then what POST /notify/:userId publishes', async () => {
    const alice = await open('/notifications?user=alice');
    await alice.waitForEvents(1);
    expect(alice.events[0]).toMatchObject({ event: 'connected', data: '{"userId":"alice"}' });
    await alice.waitFor((client) => client.raw.includes('retry: 2000'));

    const response = await fetch(`${app.url}/notify/alice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi' }),
    });
    expect(response.status).toBe(201);
    await alice.waitForEvents(2);
    expect(alice.events[1]).toMatchObject({ event: 'notification', data: '{"message":"hi"}' });
  });

  it('the guard sets request.user: 401 without it, 403 from authorize for another user', async () => {
    expect((await open('/users/alice/events')).status).toBe(401);
    expect((await open('/users/bob/events?token=alice-token')).status).toBe(403);
    const own = await open('/users/alice/events?token=alice-token');
    expect(own.status).toBe(200);
    expect(own.headers['content-type']).toMatch(/^text\/event-stream/);
  });

  it('the custom connection class reads the guarded user and sends with its helper', async () => {
    expect((await open('/inbox')).status).toBe(401);
    const inbox = await open('/inbox?token=alice-token');
    await inbox.waitForEvents(1);
    expect(inbox.events[0]).toMatchObject({
      event: 'notification',
      data: '{"kind":"hello","payload":{"user":"alice"}}',
    });
  });

  it('the POST chat endpoint streams tokens then `done`, and answers a bad body with 400', async () => {
    const refused = await fetchSse(`${app.url}/chat`, { body: { prompt: 7 } });
    expect(refused.status).toBe(400);
    expect(JSON.parse(await refused.ended)).toMatchObject({ statusCode: 400 });
    const chat = await fetchSse(`${app.url}/chat`, { body: { prompt: 'hi there' } });
    expect(chat.status).toBe(200);
    await chat.ended;
    expect(chat.events.map((e) => [e.event, e.data])).toEqual([
      ['token', 'You '],
      ['token', 'said: '],
      ['token', 'hi '],
      ['token', 'there '],
      ['done', ''],
    ]);
  });
});
