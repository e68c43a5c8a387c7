// Opaque pagination cursors: base64url JSON of the keyset position (and of what the position
// is relative to). They carry values only; the queries bind them as typed parameters.
import { BadRequestError } from './errors.js';

export function encodeCursor(v: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalidCursor('not a cursor returned by this API');
}

export const invalidCursor = (message: string) =>
  new BadRequestError([{ in: 'querystring', field: '/cursor', message }]);
