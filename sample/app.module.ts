import { Module } from '@nestjs/common';
import { SseModule } from '../src/index.js';
import { AdminEventsEndpoint, AdminTokenGuard } from './admin-events.endpoint.js';
import { ChatEndpoint, ChatStatsController } from './chat.endpoint.js';
import { EventsEndpoint } from './events.endpoint.js';
import { FakeModel } from './fake-model.js';
import { NotificationsEndpoint } from './notifications.endpoint.js';
import { NotifyController } from './notify.controller.js';
import { PageController } from './page.controller.js';
import { UserDirectory } from './user-directory.js';

@Module({
  imports: [
    SseModule.forRootAsync({
      useFactory: () => ({
        transport: process.env.REDIS_URL
          ? {
              type: 'redis',
              url: process.env.REDIS_URL,
              channelPrefix: process.env.CHANNEL_PREFIX ?? 'sample:',
            }
          : { type: 'memory' },
        history: { size: 200, ttl: 3600 },
        shutdownEvent: { event: 'bye', data: { worker: process.pid } },
      }),
    }),
  ],
  controllers: [PageController, NotifyController, ChatStatsController],
  providers: [
    UserDirectory,
    AdminTokenGuard,
    NotificationsEndpoint,
    EventsEndpoint,
    AdminEventsEndpoint,
    FakeModel,
    ChatEndpoint,
  ],
})
export class AppModule {}
