import type { Cluster, Redis } from 'ioredis';
import { keySlot } from './redis-key-slot.js';

/**
 * The health probe's keys: `<prefix>{health}:probe` on one Redis; on a cluster one per master,
 * each in a slot that master owns now (`<prefix>{health:<i>}:probe`, the first `i` that lands
 * there), so a hung master is noticed whichever it is. Recomputed as the slot map changes.
 * @internal
 */
export class ProbeKeys {
  /** Master → its key, as last computed. */
  private readonly byMaster = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  of(publisher: Redis): readonly string[] {
    const { isCluster, slots } = publisher as unknown as Cluster & { isCluster?: boolean };
    if (!isCluster) return [`${this.prefix}{health}:probe`];
    const masters = new Set<string>();
    for (const nodes of slots) if (nodes?.[0]) masters.add(nodes[0]);
    for (const master of this.byMaster.keys())
      if (!masters.has(master)) this.byMaster.delete(master);
    for (const master of masters) {
      const key = this.byMaster.get(master);
      if (key && slots[keySlot(key)]?.[0] === master) continue;
      for (let i = 0; i < 16_384; i++) {
        const candidate = `${this.prefix}{health:${i}}:probe`;
        if (slots[keySlot(candidate)]?.[0] !== master) continue;
        this.byMaster.set(master, candidate);
        break;
      }
    }
    return [...this.byMaster.values()];
  }
}
