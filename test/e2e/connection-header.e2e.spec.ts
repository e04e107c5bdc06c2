import { Module } from '@nestjs/common';
import { SseModule } from '../../src/index.js';
import { ClosingEndpoint } from '../fixtures/closing-endpoint.js';
import { PLATFORMS, startApp, type TestApp } from '../helpers/platforms.js';
import { RawHttpExchange } from '../helpers/raw-http-exchange.js';
import { sleep, waitUntil } from '../helpers/wait.js';

@Module({ imports: [SseModule.forRoot()], providers: [ClosingEndpoint] })
class ClosingModule {}

/** RFC 9112 §9.6: `Connection: keep-alive` only where the connection is really kept. */
describe.each(PLATFORMS)('Connection management on %s', (platform) => {
  let server: TestApp;
  let port: number;
  let endpoint: ClosingEndpoint;
  const exchanges: RawHttpExchange[] = [];
  const exchange = (version: '1.0' | '1.1', headers: string[] = []) => {
    const opened = RawHttpExchange.get(port, '/closing?after=100', version, headers);
    exchanges.push(opened);
    return opened;
  };

  beforeAll(async () => {
    server = await startApp(ClosingModule, platform);
    port = Number(new URL(server.url).port);
    endpoint = server.app.get(ClosingEndpoint);
  });
  afterEach(() => exchanges.splice(0).forEach((opened) => opened.destroy()));
  afterAll(() => server.close());

  /** The server closed the socket within 500 ms of ending the stream. */
  async function expectClosedPromptly(opened: RawHttpExchange): Promise<void> {
    await waitUntil(() => !opened.open, 'the server to close the socket', 2000);
    const ended = endpoint.closedAt[endpoint.closedAt.length - 1];
    expect(opened.serverClosedAt! - ended).toBeLessThan(500);
  }

  it('answers a Connection: close request without keep-alive and closes the socket when the stream ends', async () => {
    const opened = exchange('1.1', ['Connection: close']);
    await waitUntil(() => opened.body.includes('data: hello'), 'the event');
    expect(opened.statusLine).toBe('HTTP/1.1 200 OK');
    expect(opened.headers['connection']).toBe('close');
    expect(opened.received.toLowerCase()).not.toContain('keep-alive');
    expect(opened.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await expectClosedPromptly(opened);
    expect(opened.body.endsWith('0\r\n\r\n')).toBe(true); // the chunked body was ended properly
  });

  it.each([[[]], [['Connection: keep-alive']]])(
    'answers an HTTP/1.0 request (headers %j) without keep-alive or chunking, and closes the socket at the end',
    async (headers: string[]) => {
      const opened = exchange('1.0', headers);
      await waitUntil(() => opened.body.includes('data: hello'), 'the event');
      expect(opened.statusLine).toMatch(/^HTTP\/1\.[01] 200 OK$/);
      expect(opened.received.toLowerCase()).not.toContain('keep-alive');
      expect(opened.headers['transfer-encoding']).toBeUndefined();
      await expectClosedPromptly(opened);
      expect(opened.body).toBe('data: hello\n\n');
    },
  );

  it('keeps an HTTP/1.1 connection alive as before', async () => {
    const opened = exchange('1.1');
    await waitUntil(() => opened.body.includes('data: hello'), 'the event');
    expect(opened.headers['connection']).toBe('keep-alive');
    expect(opened.headers['transfer-encoding']).toBe('chunked');
    await waitUntil(() => opened.body.endsWith('0\r\n\r\n'), 'the end of the stream');
    await sleep(300);
    expect(opened.open).toBe(true);
  });
});
