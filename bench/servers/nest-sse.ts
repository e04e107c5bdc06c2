import 'reflect-metadata';
import { Controller, Module, Sse, type MessageEvent } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Subject, finalize, type Observable } from 'rxjs';
import { serveBenchmark } from '../server-harness.js';

/** (b) What a Nest user writes today: `@Sse()` returning a shared RxJS Subject. */
const events = new Subject<MessageEvent>();
let open = 0;

@Controller()
class StreamController {
  @Sse('sse')
  stream(): Observable<MessageEvent> {
    open++;
    return events.asObservable().pipe(finalize(() => open--));
  }
}

@Module({ controllers: [StreamController] })
class BenchModule {}

const app = await NestFactory.create(BenchModule, { logger: false });
await app.listen(0, '127.0.0.1');
serveBenchmark({
  port: (app.getHttpServer().address() as { port: number }).port,
  publish: (data) => events.next({ data }),
  connections: () => open,
});
