import { Injectable } from '@nestjs/common';

/** Maps the sample's demo tokens to user ids; any other token is an anonymous guest. */
@Injectable()
export class UserDirectory {
  fromToken(token: unknown): string {
    return typeof token === 'string' && /^[\w-]{1,32}$/.test(token) ? token : 'guest';
  }
}
