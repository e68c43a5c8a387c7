// The publisher's bounds with Kafka unreachable (nothing listens on port 1): the buffer holds at
// most maxBufferedBytes of serialised events, every refused event is counted, publish never throws.
import { describe, expect, it } from 'vitest';
import type { TaskEventV1 } from '@aurea/events';
import { MemoryPublisher, createKafkaPublisher } from './publisher.js';

const quiet = { warn: () => undefined, error: () => undefined };

function event(i: number): TaskEventV1 {
  return { job_id: `job-${i % 10}`, event_id: `e-${i}`, padding: 'x'.repeat(1000) } as unknown as TaskEventV1;
}

describe('BufferedPublisher bounds', () => {
  it('holds at most maxBufferedBytes and counts the rest as buffer_full drops', async () => {
    const maxBufferedBytes = 200_000;
    const publisher = createKafkaPublisher({ brokers: ['127.0.0.1:1'], topic: 't', maxBufferedBytes, logger: quiet });
    let accepted = 0;
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      if (publisher.publish(event(i))) accepted++;
      // Let the serialisation tick run now and then (it replaces estimates by real sizes).
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 10));
    }
    const s = publisher.stats();
    const size = Buffer.byteLength(JSON.stringify(event(1))) + 'job-1'.length;
    expect(s.published).toBe(0);
    expect(s.buffered).toBe(accepted);
    expect(s.bufferedBytes).toBeLessThanOrEqual(maxBufferedBytes);
    expect(accepted).toBeGreaterThan(maxBufferedBytes / size - 5);
    expect(accepted).toBeLessThanOrEqual(Math.floor(maxBufferedBytes / size) + 1);
    expect(s.dropped.get('buffer_full')).toBe(n - accepted);
    const res = await publisher.close(300);
    expect(res.pending).toBe(accepted);
    expect(publisher.stats().dropped.get('shutdown')).toBe(accepted);
  });

  it('refuses an event larger than maxMessageBytes without blocking the others', async () => {
    const publisher = createKafkaPublisher({
      brokers: ['127.0.0.1:1'],
      topic: 't',
      maxMessageBytes: 500,
      logger: quiet,
    });
    expect(publisher.publish(event(1))).toBe(true); // accepted; found too large when serialised
    expect(publisher.publish({ job_id: 'j', event_id: 'small' } as unknown as TaskEventV1)).toBe(true);
    await publisher.flush(50);
    expect(publisher.stats()).toMatchObject({ buffered: 1, published: 0 });
    expect(publisher.stats().dropped.get('too_large')).toBe(1);
    await publisher.close(100);
  });
});

describe('MemoryPublisher', () => {
  it('keeps every event, deferred ones built, in the order published', async () => {
    const a = { job_id: 'j1', event_id: 'e1' } as unknown as TaskEventV1;
    const b = { job_id: 'j2', event_id: 'e2' } as unknown as TaskEventV1;
    const p = new MemoryPublisher();
    expect(p.publish(a)).toBe(true);
    expect(p.publish({ job_id: 'j2', toEvent: () => b })).toBe(true);
    expect(p.events).toEqual([a, b]);
    expect(await p.close()).toEqual({ pending: 0 });
    expect(p.stats()).toEqual({ published: 2, buffered: 0, dropped: new Map() });
  });
});
