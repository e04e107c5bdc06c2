export const SSE_MESSAGES = {
  requestScoped: (name: string) =>
    `@SseEndpoint ${name} is request-scoped or transient: endpoints must be singletons (inject request data through sse.request instead)`,
  routeClash: (path: string, owner: string, other: string, otherPath: string) =>
    `SSE endpoint ${owner} cannot be served at GET ${path}: ${other} already serves GET ${otherPath}. Give each its own path`,
  invalidPath: (name: string) =>
    `@SseEndpoint on ${name} needs a path string, e.g. @SseEndpoint('/events')`,
  unsupportedPlatform: (type: string) =>
    `SseModule supports the express and fastify platforms, not "${type}"`,
  forRootTwice: (count: number, importers: string[]) =>
    `SseModule.forRoot() is imported ${count} times${importers.length ? ` (in ${importers.join(', ')})` : ''}: ` +
    `each import would map every endpoint again and have its own BroadcastService, whose publishes never reach the other's streams. ` +
    `Import SseModule.forRoot() (or forRootAsync) once, in the root module: it is global by default; ` +
    `with isGlobal: false, import plain SseModule in the other modules that inject BroadcastService`,
  missingForRoot:
    'SseModule is imported without SseModule.forRoot(): import SseModule.forRoot() (or forRootAsync) once, in the root module',
  routed: (name: string, path: string) => `Mapped SSE endpoint ${name} at GET ${path}`,
};
