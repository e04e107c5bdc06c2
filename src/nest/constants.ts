/** Reflection key of `@SseEndpoint` metadata. */
export const SSE_ENDPOINT_METADATA = 'nestjs-sse:endpoint';
