/**
 * What a live list stream (`*.onChange`) sends, as the `data` of SSE events with an `id:`: a snapshot (the whole
 * list) when a stream opens without a usable Last-Event-ID, then deltas — the items that changed or appeared, the
 * ids that left, and the new order of ids when it changed. {@link applyLiveMessage} merges one into a list.
 */
export type LiveMessage<T> = { kind: 'snapshot'; items: T[] } | { kind: 'delta'; upsert: T[]; remove: string[]; order?: string[] };

/** The list after `message`: a snapshot replaces it; a delta updates, removes, adds and re-orders by id. */
export function applyLiveMessage<T>(list: readonly T[] | undefined, message: LiveMessage<T>, idOf: (item: T) => string): T[] {
  if (message.kind === 'snapshot') return message.items;
  const byId = new Map<string, T>();
  for (const item of list ?? []) byId.set(idOf(item), item);
  for (const id of message.remove) byId.delete(id);
  const added: string[] = [];
  for (const item of message.upsert) {
    const id = idOf(item);
    if (!byId.has(id)) added.push(id);
    byId.set(id, item);
  }
  const order = message.order ?? [...(list ?? []).map(idOf).filter((id) => byId.has(id)), ...added];
  return order.flatMap((id) => {
    const item = byId.get(id);
    return item === undefined ? [] : [item];
  });
}
