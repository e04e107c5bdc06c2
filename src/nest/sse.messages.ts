export const SSE_MESSAGES = {
  requestScoped: (name: string) =>
    `@SseEndpoint ${name} is request-scoped or transient: endpoints must be singletons (inject request data through sse.request instead)`,
  routeClash: (route: string, owner: string, other: string, otherRoute: string) =>
    `SSE endpoint ${owner} cannot be served at ${route}: ${other} already serves ${otherRoute}. Give each its own path`,
  invalidMethod: (name: string, method: unknown) =>
    `@SseEndpoint on ${name} has method ${JSON.stringify(method)}: use 'GET' (default), 'POST', 'PUT', 'PATCH' or 'DELETE'`,
  connectParamOnSse: (name: string) =>
    `${name}.onConnect: its first parameter is the connection (sse); put parameter decorators such as @Body() on the parameters after it`,
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
  routed: (name: string, method: string, path: string) =>
    `Mapped SSE endpoint ${name} at ${method} ${path}`,
};
