import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from './kafka-log.js';

describe('kafkaLogCreator', () => {
  it('maps kafkajs levels onto pino levels and keeps the entry fields', () => {
    const lines: { level: number; msg: string; broker?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        cb();
      },
    });
    const log = kafkaLogCreator(pino({ level: 'debug' }, sink))();
    log({ level: 1, log: { message: 'boom', broker: 'b:1' } });
    log({ level: 2, log: { message: 'careful' } });
    log({ level: 4, log: { message: 'chatty' } });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'kafka: boom'],
      [40, 'kafka: careful'],
      [20, 'kafka: chatty'],
    ]);
    expect(lines[0]!.broker).toBe('b:1');
  });
});
