import { Controller, Get } from '@nestjs/common';
import { SseEndpoint, type OnSseConnect, type SseConnection } from '../src/index.js';
import { FakeModel } from './fake-model.js';

interface ChatBody {
  prompt?: unknown;
  maxTokens?: unknown;
}

/**
 * `POST /chat { prompt, maxTokens? }`: the answer's tokens as `token` events, then `done`, then
 * the stream ends. When the page stops reading (Stop, a closed tab), `sse.signal` cancels the
 * model and `pipe` stops its generator.
 */
@SseEndpoint('/chat', { method: 'POST' })
export class ChatEndpoint implements OnSseConnect {
  constructor(private readonly model: FakeModel) {}

  async onConnect(sse: SseConnection): Promise<void> {
    const body = (sse.request.body ?? {}) as ChatBody;
    const prompt = String(body.prompt ?? '').slice(0, 500);
    const maxTokens = Math.min(Math.max(Number(body.maxTokens) || 60, 1), 5000);
    await sse.pipe(this.model.tokens(prompt, maxTokens, sse.signal), { event: 'token' });
    await sse.sendEvent({ event: 'done', data: '' });
    sse.close();
  }
}

/** What the model did: the browser tests read it to see that Stop cancelled the answer. */
@Controller('chat')
export class ChatStatsController {
  constructor(private readonly model: FakeModel) {}

  @Get('stats')
  stats() {
    return this.model.stats;
  }
}
