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

describe('Shutdown signal handlers', () => {
  it('a repeated signal does not interrupt the shutdown in progress', async () => {
    const steps: string[] = [];
    let exited: number | undefined;
    const s = new Shutdown(createLogger('test', 'silent'), 2_000).add('flush', async () => {
      await new Promise((r) => setTimeout(r, 100));
      steps.push('flushed');
    });
    const before = process.listenerCount('SIGTERM');
    s.installSignalHandlers((code) => (exited = code));
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    await s.run('test');
    await new Promise((r) => setImmediate(r));
    expect(steps).toEqual(['flushed']);
    expect(exited).toBe(0);
    for (const l of process.listeners('SIGTERM').slice(before)) process.off('SIGTERM', l as () => void);
    for (const l of process.listeners('SIGINT').slice(-1)) process.off('SIGINT', l as () => void);
  });
});
