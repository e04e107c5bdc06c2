import { Module } from '@nestjs/common';
import { SseModule } from '../src/index.js';
import { EventsEndpoint } from './events.endpoint.js';
import { NotificationsEndpoint } from './notifications.endpoint.js';
import { NotifyController } from './notify.controller.js';
import { UserDirectory } from './user-directory.js';

@Module({
  imports: [
    SseModule.forRootAsync({
      useFactory: () => ({
        transport: process.env.REDIS_URL
          ? { type: 'redis', url: process.env.REDIS_URL }
          : { type: 'memory' },
      }),
    }),
  ],
  controllers: [NotifyController],
  providers: [UserDirectory, NotificationsEndpoint, EventsEndpoint],
})
export class AppModule {}
