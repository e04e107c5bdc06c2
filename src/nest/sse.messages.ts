export const SSE_MESSAGES = {
  requestScoped: (name: string) =>
    `@SseEndpoint ${name} is request-scoped or transient: endpoints must be singletons (inject request data through sse.request instead)`,
  routeClash: (path: string, owner: string, other: string, otherPath: string) =>
    `SSE endpoint ${owner} cannot be served at GET ${path}: ${other} already serves GET ${otherPath}. Give each its own path`,
  invalidPath: (name: string) =>
    `@SseEndpoint on ${name} needs a path string, e.g. @SseEndpoint('/events')`,
  unsupportedPlatform: (type: string) =>
    `SseModule supports the express and fastify platforms, not "${type}"`,
  routed: (name: string, path: string) => `Mapped SSE endpoint ${name} at GET ${path}`,
};
