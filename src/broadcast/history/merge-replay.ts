import { compareEventIds, parseEventId, type EventId } from './event-id.js';

/** An event to replay or a live one held back meanwhile; `id` absent for a live-only publish. */
export interface ReplayItem<F> {
  readonly id: string | undefined;
  readonly frame: F;
}

/**
 * What a resuming connection must be sent, in order: every event of `history` (read from the
 * store, any number of channels) and of `held` (live frames that arrived while the history was
 * read, in arrival order), each id once, in id order — so that any prefix a client receives ends
 * with an id from which a resume gets exactly the rest. Ids of different epochs have no order
 * (the store lost its counter meanwhile): each epoch's events are sorted, epochs in the order they
 * first appear. Held frames without an id (live-only publishes) follow, in the order they arrived.
 */
export function mergeReplay<F>(
  history: readonly ReplayItem<F>[],
  held: readonly ReplayItem<F>[],
): F[] {
  const byId = new Map<string, { id: EventId; frame: F }>();
  const liveOnly: F[] = [];
  for (const item of [...history, ...held]) {
    const id = item.id === undefined ? null : parseEventId(item.id);
    if (!id) liveOnly.push(item.frame);
    else if (!byId.has(item.id!)) byId.set(item.id!, { id, frame: item.frame });
  }
  const epochs = new Map<string, { id: EventId; frame: F }[]>();
  for (const entry of byId.values()) {
    const group = epochs.get(entry.id.epoch);
    if (group) group.push(entry);
    else epochs.set(entry.id.epoch, [entry]);
  }
  const ordered = [...epochs.values()].flatMap((group) =>
    group.sort((a, b) => compareEventIds(a.id, b.id)!),
  );
  return [...ordered.map((entry) => entry.frame), ...liveOnly];
}
