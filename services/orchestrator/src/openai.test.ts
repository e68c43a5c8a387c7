// The OpenAI-compatible provider against a real local HTTP server speaking chat completions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiCompatibleProvider, normalizeOpenAiUsage } from './providers/openai.js';

type Handler = (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse) => void;
let server: Server;
let baseUrl: string;
let handlers: Handler[] = [];
let seen: { body: Record<string, unknown>; auth: string | undefined; path: string | undefined }[] = [];

const usage = {
  prompt_tokens: 1200,
  completion_tokens: 500,
  prompt_tokens_details: { cached_tokens: 200 },
  completion_tokens_details: { reasoning_tokens: 120 },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      seen.push({ body, auth: req.headers.authorization, path: req.url });
      const h = handlers.shift();
      if (!h) {
        res.writeHead(500).end('no handler');
        return;
      }
      h(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  handlers = [];
  seen = [];
});

const streamOk: Handler = (_req, body, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  setTimeout(() => {
    chunk({ model: 'gpt-4o-2024-08-06', choices: [{ delta: { role: 'assistant' } }] });
    chunk({ model: 'gpt-4o-2024-08-06', choices: [{ delta: { content: 'Hel' } }] });
    setTimeout(() => {
      chunk({ model: 'gpt-4o-2024-08-06', choices: [{ delta: { content: 'lo' } }] });
      chunk({
        model: 'gpt-4o-2024-08-06',
        choices: [],
        usage: (body.stream_options as { include_usage?: boolean }).include_usage ? usage : null,
      });
      res.end('data: [DONE]\n\n');
    }, 40);
  }, 60);
};
const jsonOk: Handler = (_req, _body, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ model: 'gpt-4o-mini-2024-07-18', choices: [{ message: { content: 'hi' } }], usage }));
};
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, _body, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { message: `status ${code}` } }));
  };

const provider = (extra: Partial<ConstructorParameters<typeof OpenAiCompatibleProvider>[0]> = {}) =>
  new OpenAiCompatibleProvider({
    baseUrl,
    apiKey: 'sk-test',
    models: ['gpt-4o', 'gpt-4o-mini'],
    timeoutMs: 2000,
    maxRetries: 2,
    retryBaseMs: 5,
    ...extra,
  });
const call = (p: OpenAiCompatibleProvider, signal = new AbortController().signal) =>
  p.complete({ jobId: 'j', taskName: 't', model: 'gpt-4o', prompt: 'Say hello', attempt: 0, signal });

describe('OpenAI-compatible provider', () => {
  it('normalises OpenAI usage: cached tokens out of input, reasoning out of output', () => {
    expect(normalizeOpenAiUsage(usage)).toEqual({
      input: 1000,
      output: 380,
      cacheRead: 200,
      cacheWrite: 0,
      reasoning: 120,
    });
    expect(normalizeOpenAiUsage({ prompt_tokens: 10, completion_tokens: 3 })).toEqual({
      input: 10,
      output: 3,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });

  it('reads the cache writes the response reports (prompt_tokens_details.cache_write_tokens)', () => {
    // A chat completion usage block as GPT-5.6-family models return it: 9,654 of 9,657 prompt tokens written.
    const u = {
      prompt_tokens: 9657,
      completion_tokens: 78,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 9654 },
      completion_tokens_details: { reasoning_tokens: 37 },
    };
    expect(normalizeOpenAiUsage(u)).toEqual({ input: 3, output: 41, cacheRead: 0, cacheWrite: 9654, reasoning: 37 });
  });

  it('streams: text, response model, usage with cached and reasoning tokens, time to first chunk', async () => {
    handlers.push(streamOk);
    const out = await call(provider());
    expect(out.text).toBe('Hello');
    expect(out.responseModel).toBe('gpt-4o-2024-08-06');
    expect(out.usage).toEqual({ input: 1000, output: 380, cacheRead: 200, cacheWrite: 0, reasoning: 120 });
    expect(out.timeToFirstTokenMs).toBeGreaterThanOrEqual(55);
    expect(out.timeToFirstTokenMs).toBeLessThan(1000);
    expect(seen[0]!.path).toBe('/v1/chat/completions');
    expect(seen[0]!.auth).toBe('Bearer sk-test');
    expect(seen[0]!.body).toMatchObject({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Say hello' }],
    });
  });

  it('reads a non-streamed completion', async () => {
    handlers.push(jsonOk);
    const out = await call(provider({ stream: false }));
    expect(out).toEqual({
      text: 'hi',
      responseModel: 'gpt-4o-mini-2024-07-18',
      usage: { input: 1000, output: 380, cacheRead: 200, cacheWrite: 0, reasoning: 120 },
      timeToFirstTokenMs: null,
    });
    expect(seen[0]!.body.stream).toBe(false);
  });

  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    handlers.push(status(429, { 'retry-after': '0.05' }), status(503), streamOk);
    const t0 = performance.now();
    const out = await call(provider());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    expect(out.usage.input).toBe(1000);
    expect(seen).toHaveLength(3);
  });

  it('gives up after maxRetries with the last error type', async () => {
    handlers.push(status(500), status(500), status(502));
    await expect(call(provider())).rejects.toMatchObject({ errorType: 'http_502', status: 502, retryable: true });
    expect(seen).toHaveLength(3);
  });

  it('does not retry a 4xx other than 408/429', async () => {
    handlers.push(status(400), streamOk);
    await expect(call(provider())).rejects.toMatchObject({ errorType: 'http_400', retryable: false });
    expect(seen).toHaveLength(1);
    handlers = [];
  });

  it('times out a hanging attempt, retries, and reports timeout', async () => {
    const hang: Handler = () => undefined;
    handlers.push(hang, hang);
    const t0 = performance.now();
    await expect(call(provider({ timeoutMs: 100, maxRetries: 1 }))).rejects.toMatchObject({ errorType: 'timeout' });
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThan(2000);
    expect(seen).toHaveLength(2);
    server.closeAllConnections();
  });

  it('stops at once when the caller cancels', async () => {
    handlers.push(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('job cancelled')), 50);
    await expect(call(provider(), ac.signal)).rejects.toMatchObject({ errorType: 'cancelled' });
    expect(seen).toHaveLength(1);
    server.closeAllConnections();
  });
});
