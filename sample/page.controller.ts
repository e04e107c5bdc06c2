import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Serves the live page (plain HTML and JavaScript, no build step, nothing from the network). */
const read = (file: string) => readFileSync(join(process.cwd(), 'sample', 'public', file), 'utf8');

@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  index(): string {
    return read('index.html');
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return read('app.js');
  }
}
