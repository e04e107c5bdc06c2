import type { ArgumentsHost, ContextType } from '@nestjs/common';

type HttpHost = ReturnType<ArgumentsHost['switchToHttp']>;
type RpcHost = ReturnType<ArgumentsHost['switchToRpc']>;
type WsHost = ReturnType<ArgumentsHost['switchToWs']>;

/**
 * The `ArgumentsHost` of an HTTP request, for handing an error to Nest's `BaseExceptionFilter`
 * outside a controller (Nest's own `ExecutionContextHost` is not public API).
 */
export class HttpArgumentsHost implements ArgumentsHost {
  private readonly args: [request: unknown, response: unknown];

  constructor(request: unknown, response: unknown) {
    this.args = [request, response];
  }

  getType<T extends string = ContextType>(): T {
    return 'http' as T;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as unknown as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  switchToHttp(): HttpHost {
    return {
      getRequest: <T>() => this.args[0] as T,
      getResponse: <T>() => this.args[1] as T,
      getNext: <T>() => undefined as T,
    };
  }

  switchToRpc(): RpcHost {
    return {
      getData: <T>() => this.args[0] as T,
      getContext: <T>() => this.args[1] as T,
    };
  }

  switchToWs(): WsHost {
    return {
      getClient: <T>() => this.args[0] as T,
      getData: <T>() => this.args[1] as T,
      getPattern: () => '',
    };
  }
}
