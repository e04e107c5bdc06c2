import type { ModulesContainer } from '@nestjs/core';
import type { SseMetadataAccessor } from './sse-metadata.accessor.js';
import { SSE_CORE, SSE_ROOT } from './sse-core.js';

/**
 * How many `SseModule.forRoot()` (or `forRootAsync`) the app has — more than one means endpoints
 * mapped twice and split broadcasts — and the modules that import them (those that declare the
 * import in `@Module`; a dynamic module importing it is not named).
 */
export function sseRoots(
  modules: ModulesContainer,
  accessor: SseMetadataAccessor,
): { count: number; importers: string[] } {
  const all = [...modules.values()];
  const count = all.filter((module) => module.providers.has(SSE_CORE)).length;
  const importers = new Set<string>();
  if (count > 1) {
    for (const { metatype, name } of all) {
      const declared = accessor.getModuleImports(metatype);
      if (declared.some((imported) => (imported as { [SSE_ROOT]?: true })?.[SSE_ROOT]))
        importers.add(name);
    }
  }
  return { count, importers: [...importers] };
}
