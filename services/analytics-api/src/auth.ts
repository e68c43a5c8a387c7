// API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`, each key with scopes and,
// optionally, the tenants it is limited to (docs/api.md, "Auth"). Only SHA-256 digests of keys are
// kept in memory; comparison is constant-time; a request is logged with the key's label, never the key.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LIMITS } from '@aurea/events';
import { sendError } from './errors.js';

export const SCOPES = ['read', 'ingest', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];
/** What a route requires: a scope, or nothing (`public`). */
export type RouteAccess = Scope | 'public';

export interface ApiKey {
  label: string;
  digest: Buffer;
  scopes: ReadonlySet<Scope>;
  /** The tenants this key may read and ingest for; undefined: every tenant. */
  tenants?: readonly string[] | undefined;
}

export const MIN_KEY_LENGTH = 16;

const digestOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

export function apiKey(label: string, secret: string, scopes: readonly Scope[], tenants?: readonly string[]): ApiKey {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(label))
    throw new Error(`API key label "${label}" must match [A-Za-z0-9_.-]{1,64}`);
  if (secret.length < MIN_KEY_LENGTH)
    throw new Error(`API key "${label}" is shorter than ${MIN_KEY_LENGTH} characters`);
  if (/\s/.test(secret)) throw new Error(`API key "${label}" contains whitespace`);
  if (scopes.length === 0) throw new Error(`API key "${label}" has no scopes`);
  if (tenants !== undefined) {
    if (tenants.length === 0) throw new Error(`API key "${label}": an empty tenant list`);
    for (const t of tenants)
      if (t.length === 0 || t.length > LIMITS.id)
        throw new Error(`API key "${label}": a tenant must have 1–${LIMITS.id} characters`);
    if (scopes.includes('metrics'))
      throw new Error(
        `API key "${label}": process metrics are not per tenant; a metrics key cannot be limited to tenants`,
      );
  }
  return {
    label,
    digest: digestOf(secret),
    scopes: new Set(scopes),
    ...(tenants === undefined ? {} : { tenants: [...new Set(tenants)] }),
  };
}

/**
 * Lines (or comma-separated entries) of `label:secret:scope+scope[:tenant+tenant]`; `#` starts a
 * comment. Tenants are percent-decoded, so a tenant id holding `:`, `+`, `,`, `#`, `%` or spaces
 * is written with those percent-encoded.
 */
export function parseApiKeys(text: string): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const parts = line.split(':');
    if (parts.length !== 3 && parts.length !== 4)
      throw new Error('each API key entry must be label:secret:scopes[:tenants] (secret not shown)');
    const [label, secret, scopeText, tenantText] = parts as [string, string, string, string | undefined];
    const scopes = scopeText.split('+').map((s) => s.trim());
    for (const s of scopes) {
      if (!(SCOPES as readonly string[]).includes(s))
        throw new Error(`API key "${label}": unknown scope "${s}" (known: ${SCOPES.join(', ')})`);
    }
    let tenants: string[] | undefined;
    if (tenantText !== undefined) {
      try {
        tenants = tenantText.split('+').map((t) => decodeURIComponent(t.trim()));
      } catch {
        throw new Error(`API key "${label}": a tenant is not valid percent-encoding`);
      }
    }
    keys.push(apiKey(label, secret, scopes as Scope[], tenants));
  }
  const labels = new Set<string>();
  for (const k of keys) {
    if (labels.has(k.label)) throw new Error(`duplicate API key label "${k.label}"`);
    labels.add(k.label);
  }
  return keys;
}

export function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1];
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}

export function findKey(keys: readonly ApiKey[], secret: string): ApiKey | undefined {
  const d = digestOf(secret);
  let found: ApiKey | undefined;
  for (const k of keys) if (timingSafeEqual(k.digest, d) && !found) found = k; // visit every key: no early exit
  return found;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    apiKeyLabel?: string;
    /** The tenants the request's key is limited to; undefined: every tenant (or auth disabled). */
    tenants?: readonly string[] | undefined;
  }
}

export interface AuthOptions {
  mode: 'required' | 'disabled';
  keys: readonly ApiKey[];
}

/** Checks every route's `config.access`; routes without one are public (health, docs). */
export const authPlugin = fp<AuthOptions>(async (app: FastifyInstance, opts: AuthOptions) => {
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const access = req.routeOptions.config.access ?? 'public';
    if (access === 'public' || opts.mode === 'disabled') return done();
    const secret = presentedKey(req);
    if (secret === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="aurea"');
      void sendError(
        reply,
        401,
        'unauthorized',
        'missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
      );
      return;
    }
    const key = findKey(opts.keys, secret);
    if (!key) {
      void reply.header('www-authenticate', 'Bearer realm="aurea", error="invalid_token"');
      void sendError(reply, 401, 'unauthorized', 'unknown API key');
      return;
    }
    req.apiKeyLabel = key.label;
    req.tenants = key.tenants;
    req.log.debug({ apiKey: key.label }, 'authenticated');
    const ok = key.scopes.has(access) || (access === 'metrics' && key.scopes.has('read') && key.tenants === undefined);
    if (!ok) {
      void sendError(reply, 403, 'forbidden', `API key "${key.label}" lacks the "${access}" scope`);
      return;
    }
    done();
  });
  return Promise.resolve();
});
