import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { Shutdown } from './shutdown.js';

describe('Shutdown', () => {
  it('runs steps in order, once, and skips a stuck step at the deadline', async () => {
    const order: string[] = [];
    const s = new Shutdown(createLogger('test', 'silent'), 300)
      .add('stop intake', () => {
        order.push('intake');
      })
      .add('stuck drain', () => new Promise<void>(() => undefined))
      .add('close', async () => {
        order.push('close');
        await Promise.resolve();
      });
    const t0 = Date.now();
    await Promise.all([s.run('test'), s.run('again')]);
    expect(order).toEqual(['intake', 'close']);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
