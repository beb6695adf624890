import { afterEach, describe, expect, it } from 'vitest';
import { applyLiveMessage, type LiveMessage } from '@/shared/live-message';
import { LocalChangeBus } from '../coordination/change-bus';
import { type LiveEntry, LiveTopic } from './live-topic';

interface Item {
  id: string;
  v: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sink() {
  const got: Array<LiveEntry<Item>> = [];
  return { got, deliver: (entry: LiveEntry<Item>) => got.push(entry) };
}

describe('LiveTopic', () => {
  let topic: LiveTopic<Item> | null = null;
  afterEach(() => topic?.close());

  function make(list: { items: Item[] }, reads: { n: number }, keep = 10) {
    const bus = new LocalChangeBus('test');
    topic = new LiveTopic<Item>({
      bus,
      matters: (e) => e.type === 'instances',
      read: async () => {
        reads.n++;
        return list.items.map((i) => ({ ...i }));
      },
      idOf: (i) => i.id,
      refreshMs: 60_000,
      coalesceMs: 5,
      keep,
      onError: () => undefined,
    });
    return { bus, topic };
  }

  it('after a failed first read, the next read reaches the streams that joined on the empty snapshot', async () => {
    const bus = new LocalChangeBus('test');
    let fail = true;
    topic = new LiveTopic<Item>({
      bus,
      matters: (e) => e.type === 'instances',
      read: async () => {
        if (fail) throw new Error('database away');
        return [{ id: 'a', v: 1 }];
      },
      idOf: (i) => i.id,
      refreshMs: 60_000,
      coalesceMs: 5,
      keep: 10,
      onError: () => undefined,
    });
    const one = sink();
    await topic.join(one, null);
    expect(one.got.map((e) => e.message)).toEqual([{ kind: 'snapshot', items: [] }]);
    fail = false;
    await bus.publish({ type: 'instances' });
    await sleep(30);
    const seen = one.got.reduce<Item[]>((list, e) => applyLiveMessage(list, e.message as LiveMessage<Item>, (i) => i.id), []);
    expect(seen).toEqual([{ id: 'a', v: 1 }]);
  });

  it('sends one delta of what changed, the same bytes to every stream, with one read for a burst', async () => {
    const list = {
      items: [
        { id: 'a', v: 1 },
        { id: 'b', v: 1 },
      ],
    };
    const reads = { n: 0 };
    const { bus, topic } = make(list, reads);
    const one = sink();
    const two = sink();
    await topic.join(one, null);
    await topic.join(two, null);
    expect(one.got[0]?.message).toEqual({ kind: 'snapshot', items: list.items });
    list.items = [
      { id: 'b', v: 2 },
      { id: 'c', v: 1 },
    ];
    for (let i = 0; i < 5; i++) await bus.publish({ type: 'instances' });
    await bus.publish({ type: 'tokens' });
    await sleep(30);
    expect(reads.n).toBe(2);
    expect(one.got).toHaveLength(2);
    const delta = one.got[1] as LiveEntry<Item>;
    expect(delta.message).toEqual({
      kind: 'delta',
      upsert: [
        { id: 'b', v: 2 },
        { id: 'c', v: 1 },
      ],
      remove: ['a'],
      order: ['b', 'c'],
    });
    expect(two.got[1]?.bytes).toBe(delta.bytes);
    expect(new TextDecoder().decode(delta.bytes)).toBe(`id: ${delta.id}\ndata: ${JSON.stringify(delta.message)}\n\n`);
    // Nothing changed: no event at all.
    await bus.publish({ type: 'instances' });
    await sleep(30);
    expect(one.got).toHaveLength(2);
    const merged = one.got.reduce<Item[]>((l, e) => applyLiveMessage(l, e.message as LiveMessage<Item>, (i) => i.id), []);
    expect(merged).toEqual(list.items);
  });

  it('resumes after a known id with exactly the events since; an unknown, foreign or too old id gets a snapshot', async () => {
    const list = { items: [{ id: 'a', v: 0 }] };
    const { bus, topic } = make(list, { n: 0 }, 3);
    const first = sink();
    await topic.join(first, null);
    for (let v = 1; v <= 5; v++) {
      list.items = [{ id: 'a', v }];
      await bus.publish({ type: 'instances' });
      await sleep(20);
    }
    const ids = first.got.map((e) => e.id);
    expect(ids).toHaveLength(6);
    const resumed = sink();
    await topic.join(resumed, ids[3] as string);
    expect(resumed.got.map((e) => e.id)).toEqual(ids.slice(4));
    const current = sink();
    await topic.join(current, ids[5] as string);
    expect(current.got).toEqual([]);
    for (const stale of [ids[0] as string, 'ffff-3', 'garbage', `${(ids[0] as string).split('-')[0]}-99`]) {
      const s = sink();
      await topic.join(s, stale);
      expect(s.got.map((e) => e.message.kind)).toEqual(['snapshot']);
      expect(s.got[0]?.id).toBe(ids[5]);
    }
  });
});

describe('LiveTopic fan-out in slices', () => {
  it('gives every stream each event once and in order, also a stream that joins while an event is being written', async () => {
    const bus = new LocalChangeBus('test');
    const list = { items: [{ id: 'a', v: 0 }] };
    const topic = new LiveTopic<Item>({
      bus,
      matters: () => true,
      read: async () => list.items,
      idOf: (i) => i.id,
      refreshMs: 60_000,
      coalesceMs: 1,
      keep: 10,
      onError: () => undefined,
    });
    try {
      const sinks = Array.from({ length: 1_200 }, sink);
      for (const s of sinks) await topic.join(s, null);
      list.items = [{ id: 'a', v: 1 }];
      await bus.publish({ type: 'instances' });
      await sleep(10);
      list.items = [{ id: 'a', v: 2 }];
      await bus.publish({ type: 'instances' });
      // joins with the id of the snapshot while the first delta may still be on its way to the others
      const late = sink();
      await topic.join(late, sinks[0]?.got[0]?.id ?? null);
      await sleep(50);
      const seqs = (s: { got: Array<LiveEntry<Item>> }) => s.got.map((e) => e.seq);
      for (const s of sinks) expect(seqs(s)).toEqual([1, 2, 3]);
      expect(seqs(late)).toEqual([2, 3]);
    } finally {
      topic.close();
    }
  });
});

describe('applyLiveMessage', () => {
  it('keeps the order, appends new items, and follows an explicit order', () => {
    const idOf = (i: Item) => i.id;
    const list = [
      { id: 'a', v: 1 },
      { id: 'b', v: 1 },
    ];
    expect(
      applyLiveMessage(
        list,
        {
          kind: 'delta',
          upsert: [
            { id: 'c', v: 1 },
            { id: 'a', v: 2 },
          ],
          remove: ['b'],
        },
        idOf,
      ),
    ).toEqual([
      { id: 'a', v: 2 },
      { id: 'c', v: 1 },
    ]);
    expect(applyLiveMessage(list, { kind: 'delta', upsert: [], remove: [], order: ['b', 'a'] }, idOf).map(idOf)).toEqual(['b', 'a']);
  });
});
