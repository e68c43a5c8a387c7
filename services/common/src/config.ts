// Parse configuration once, through a zod schema, into a typed object.
// Fails at boot with a message naming each bad variable.
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Env variables are strings: helpers that coerce them the way operators expect. */
export const env = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  int: (def: number, min = 0) => z.coerce.number().int().min(min).default(def),
  number: (def: number) => z.coerce.number().default(def),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(def ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: (def: string[]) =>
    z
      .string()
      .default(def.join(','))
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  url: () => z.url(),
};

export function parseConfig<S extends z.ZodObject>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = schema.safeParse(source);
  if (r.success) return r.data;
  throw new ConfigError(
    r.error.issues.map((i) => ({ variable: i.path.map(String).join('.') || '(root)', message: i.message })),
  );
}

/**
 * A price file layered over the built-in catalog (docs/pricing.md), the same for every service
 * that prices (SDK-less ingest, the consumer's source policy, the span bridge, repricing); empty:
 * the catalog alone.
 */
export const priceTableEnv = {
  AUREA_PRICE_TABLE: z.string().default(''),
};

/** Shared variables every service reads. */
export const commonEnv = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUREA_ENV: z.string().min(1).default('local'),
  KAFKA_BROKERS: env.list(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
};
