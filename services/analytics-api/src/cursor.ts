// Pagination cursors: opaque and tamper-evident (docs/api.md, "Cursors").
//   cursor = base64url(JSON of the keyset position) "." base64url(HMAC-SHA256(secret, purpose "\n" payload))
// The purpose binds a cursor to what it was made for (the jobs list; one job's events), so a cursor
// of one job cannot page another. The first secret signs; every listed secret verifies, so a
// rotation keeps the cursors signed before it valid for as long as the old secret stays listed.
// A cursor that does not verify is a 400 naming `cursor`; its content is never read.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { BadRequestError } from './errors.js';

/** Characters of a cursor's signature (base64url of 32 bytes). */
const MAC_LENGTH = 43;
/** What the querystring schema accepts (the longest cursor made is well under 4 KiB: a 256-character id, escaped). */
export const CURSOR_PATTERN = `^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{${MAC_LENGTH}}$`;
export const CURSOR_MAX_LENGTH = 4096;
/** Shortest accepted CURSOR_SECRET. */
export const MIN_CURSOR_SECRET_LENGTH = 32;

export interface CursorCodec {
  encode(purpose: string, position: Record<string, unknown>): string;
  /** The position a cursor of `purpose` carries; BadRequestError when it was not made by this API for it. */
  decode(purpose: string, cursor: string): Record<string, unknown>;
}

export const invalidCursor = (message: string) =>
  new BadRequestError([{ in: 'querystring', field: '/cursor', message }]);

/**
 * A codec over `secrets` (the first signs, all verify). No secret: a random one, so cursors are
 * valid for this process's lifetime only.
 */
export function cursorCodec(secrets: readonly string[]): CursorCodec {
  const keys = secrets.length > 0 ? secrets.map((s) => Buffer.from(s, 'utf8')) : [randomBytes(32)];
  const mac = (key: Buffer, purpose: string, payload: string) =>
    createHmac('sha256', key).update(`${purpose}\n${payload}`, 'utf8').digest();
  return {
    encode(purpose, position) {
      const payload = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
      return `${payload}.${mac(keys[0]!, purpose, payload).toString('base64url')}`;
    },
    decode(purpose, cursor) {
      const dot = cursor.indexOf('.');
      const payload = cursor.slice(0, dot);
      const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
      // Constant-time comparison with each secret until one verifies.
      const ok = dot > 0 && given.length === 32 && keys.some((k) => timingSafeEqual(mac(k, purpose, payload), given));
      if (!ok)
        throw invalidCursor(
          'not a cursor this API made for this request (tampered, made for another route or job, or signed ' +
            'with a retired secret): start again from the first page',
        );
      let v: unknown;
      try {
        v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        v = undefined;
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidCursor('malformed cursor');
      return v as Record<string, unknown>;
    },
  };
}
