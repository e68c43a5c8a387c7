import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, commonEnv, env, parseConfig } from './config.js';

const schema = z.object({ ...commonEnv, PORT: env.port(3000), BATCH: env.int(100, 1), FLAG: env.bool(false) });

describe('parseConfig', () => {
  it('applies defaults and coerces env strings', () => {
    const cfg = parseConfig(schema, { PORT: '8080', FLAG: 'yes', KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg).toMatchObject({ PORT: 8080, BATCH: 100, FLAG: true, KAFKA_BROKERS: ['a:1', 'b:2'], LOG_LEVEL: 'info' });
  });

  it('fails naming every bad variable', () => {
    let err: unknown;
    try {
      parseConfig(schema, { PORT: '99999', BATCH: '0', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('PORT');
    expect(msg).toContain('BATCH');
    expect(msg).toContain('LOG_LEVEL');
    expect((err as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['BATCH', 'LOG_LEVEL', 'PORT']);
  });
});
