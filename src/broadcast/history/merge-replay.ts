import { compareEventIds, parseEventId, type EventId } from './event-id.js';

/** An event to replay or a live one held back meanwhile; `id` absent for a live-only publish. */
export interface ReplayItem<F> {
  readonly id: string | undefined;
  readonly frame: F;
}

/** A replay item in the order it is written, with its id parsed (`null`: live-only). */
export interface OrderedItem<F> {
  readonly id: EventId | null;
  readonly frame: F;
}

/**
 * What a resuming connection must be sent, in order: every event of `history` (read from the
 * store, any number of channels) and of `held` (live frames that arrived while the history was
 * read, in arrival order), each id once, in id order within each id counter — so that any prefix
 * a client receives ends, per counter, with an id from which a resume gets exactly the rest. Ids
 * of different epochs of one counter have no order (the store lost its counter meanwhile): each
 * epoch's events are sorted, epochs in the order they first appear. Counters are interleaved by
 * time, then counter (`(ms, counter, seq)`): their relative order only matters to the reader's
 * eye, never to a resume. Held frames without an id (live-only publishes) follow, in the order
 * they arrived.
 */
export function orderReplay<F>(
  history: readonly ReplayItem<F>[],
  held: readonly ReplayItem<F>[],
): OrderedItem<F>[] {
  const seen = new Set<string>();
  const liveOnly: OrderedItem<F>[] = [];
  /** Per counter, per epoch (in order of appearance), the events. */
  const counters = new Map<number | undefined, Map<string, OrderedItem<F>[]>>();
  for (const item of [...history, ...held]) {
    const id = item.id === undefined ? null : parseEventId(item.id);
    if (!id) {
      liveOnly.push({ id: null, frame: item.frame });
      continue;
    }
    if (seen.has(item.id!)) continue;
    seen.add(item.id!);
    let epochs = counters.get(id.counter);
    if (!epochs) counters.set(id.counter, (epochs = new Map()));
    const group = epochs.get(id.epoch);
    if (group) group.push({ id, frame: item.frame });
    else epochs.set(id.epoch, [{ id, frame: item.frame }]);
  }
  const sequences = [...counters.values()].map((epochs) =>
    [...epochs.values()].flatMap((group) => group.sort((a, b) => compareEventIds(a.id!, b.id!)!)),
  );
  return [...interleave(sequences), ...liveOnly];
}

/** {@link orderReplay}'s frames. */
export function mergeReplay<F>(
  history: readonly ReplayItem<F>[],
  held: readonly ReplayItem<F>[],
): F[] {
  return orderReplay(history, held).map((item) => item.frame);
}

/** Merges per-counter sequences by the head's `(ms, counter)`, each sequence kept in its order. */
function interleave<F>(sequences: OrderedItem<F>[][]): OrderedItem<F>[] {
  if (sequences.length <= 1) return sequences[0] ?? [];
  const at = sequences.map(() => 0);
  const merged: OrderedItem<F>[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < sequences.length; i++) {
      const head = sequences[i][at[i]]?.id;
      if (!head) continue;
      const current = best === -1 ? null : sequences[best][at[best]].id!;
      if (
        !current ||
        head.ms < current.ms ||
        (head.ms === current.ms && (head.counter ?? -1) < (current.counter ?? -1))
      )
        best = i;
    }
    if (best === -1) return merged;
    merged.push(sequences[best][at[best]++]);
  }
}
