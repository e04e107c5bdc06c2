import { Injectable } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';

const ANSWER =
  'Server-Sent Events stream text over one long HTTP response. The server writes each token as ' +
  'an event as soon as the model produces it, and the page appends it to the answer. When the ' +
  'reader stops, the server notices the closed connection, stops the model, and frees what the ' +
  'answer held. Nothing here calls a network: this model is a local async generator that waits ' +
  'a little before every token, as a real one would while it thinks.';

/** What the fake model did, for the page and the browser tests (`GET /chat/stats`). */
export interface ModelStats {
  /** Answers started. */
  started: number;
  /** Answers that reached their last token. */
  completed: number;
  /** Answers stopped before their end: the generator's `finally` ran early. */
  cancelled: number;
  /** Answers being generated now. */
  active: number;
  /** Tokens produced, all answers together. */
  tokens: number;
}

/**
 * A stand-in for a language model: streams a canned answer, word by word, with a small delay per
 * token (`CHAT_TOKEN_DELAY_MS`, 30 ms). `signal` cancels it as it would cancel a `fetch` to a model.
 */
@Injectable()
export class FakeModel {
  readonly stats: ModelStats = { started: 0, completed: 0, cancelled: 0, active: 0, tokens: 0 };
  private readonly tokenDelay = Number(process.env.CHAT_TOKEN_DELAY_MS ?? 30);

  /** The tokens of the answer to `prompt`: at most `maxTokens` of them. */
  static answer(prompt: string, maxTokens: number): string[] {
    const words = `You asked: “${prompt}”. ${ANSWER}`.split(' ');
    const tokens: string[] = [];
    for (let i = 0; tokens.length < maxTokens; i++) {
      const word = words[i % words.length];
      tokens.push(tokens.length === 0 ? word : ` ${word}`);
    }
    return tokens;
  }

  async *tokens(prompt: string, maxTokens: number, signal: AbortSignal): AsyncGenerator<string> {
    this.stats.started++;
    this.stats.active++;
    let completed = false;
    try {
      for (const token of FakeModel.answer(prompt, maxTokens)) {
        await delay(this.tokenDelay, undefined, { signal });
        this.stats.tokens++;
        yield token;
      }
      completed = true;
    } finally {
      this.stats.active--;
      if (completed) this.stats.completed++;
      else this.stats.cancelled++;
    }
  }
}
