import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { ConsoleLogger } from '@nestjs/common';
import { guardLogger } from '../../src/connection/sse-logger.js';

describe('guardLogger', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['log', ['hello'], ['hello']],
    ['warn', ['careful'], ['careful']],
    ['error', ['failed'], ['failed']],
    ['error', ['failed', 'Error: x\n    at y'], ['failed', 'Error: x\n    at y']],
  ] as const)(
    '%s(%j) reaches the logger as %j (no explicit undefined)',
    (level, args, expected) => {
      const calls: unknown[][] = [];
      const record = (...received: unknown[]) => void calls.push(received);
      const logger = guardLogger({ log: record, warn: record, error: record });
      (logger[level] as (...a: string[]) => void)(...args);
      expect(calls).toEqual([expected]);
    },
  );

  it("prints one line per message through Nest's ConsoleLogger (no 'undefined' line)", () => {
    const lines: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    guardLogger(new ConsoleLogger('SseModule')).log('Mapped SSE endpoint X at POST /chat');
    jest.restoreAllMocks();
    expect(lines).toHaveLength(1);
    expect(lines.join('')).not.toContain('undefined');
  });

  it('swallows a logger that throws', () => {
    const boom = () => {
      throw new Error('logger down');
    };
    expect(() => guardLogger({ log: boom, warn: boom, error: boom }).error('x', 'y')).not.toThrow();
  });
});
