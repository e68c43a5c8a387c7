// What the provider adapters hand the SDK for the GenAI client metrics: the endpoint
// (server.address / server.port) and one onChunk call per streamed output chunk, as the chunks
// arrive (docs/sdk.md, "Two minutes: instrument a service").
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiCompatibleProvider } from './openai.js';
import { SimulatedProvider } from './simulated.js';

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  // An OpenAI-compatible endpoint streaming three content chunks 40 ms apart, then usage.
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    let i = 0;
    const timer = setInterval(() => {
      if (i < 3) chunk({ model: 'gpt-x-1', choices: [{ delta: { content: `part${i}` } }] });
      else {
        chunk({ model: 'gpt-x-1', choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } });
        res.end('data: [DONE]\n\n');
        clearInterval(timer);
      }
      i++;
    }, 40);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const request = { jobId: 'j', taskName: 't', model: 'gpt-x', attempt: 0 };

describe('provider adapters: endpoint and streamed chunks', () => {
  it('OpenAI-compatible: endpoint from the base URL, onChunk per content chunk as it arrives', async () => {
    const p = new OpenAiCompatibleProvider({ baseUrl, models: ['gpt-x'], timeoutMs: 5000, maxRetries: 0 });
    expect(p.endpointOf()).toEqual({ address: '127.0.0.1', port: Number(new URL(baseUrl).port) });
    const https = new OpenAiCompatibleProvider({
      baseUrl: 'https://api.example.com/v1',
      models: [],
      timeoutMs: 1,
      maxRetries: 0,
    });
    expect(https.endpointOf()).toEqual({ address: 'api.example.com', port: 443 });

    const at: number[] = [];
    const out = await p.complete({
      ...request,
      signal: new AbortController().signal,
      onChunk: () => at.push(Date.now()),
    });
    expect(out.text).toBe('part0part1part2');
    expect(at).toHaveLength(3);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(60); // live: 40 ms apart on the wire, not all at the end
  });

  it('simulated: no endpoint; the output streams as evenly spaced chunks, the first at ttft', async () => {
    const p = new SimulatedProvider({ seed: 1, failureRate: 0, timeoutRate: 0, latencyScale: 0.05 });
    const model = 'gpt-4o-mini';
    expect(p.supports(model)).toBe(true);
    expect('endpointOf' in p).toBe(false);
    const t0 = performance.now();
    const at: number[] = [];
    const out = await p.complete({
      ...request,
      model,
      synthetic: { inputTokens: 100, outputTokens: 50 },
      signal: new AbortController().signal,
      onChunk: () => at.push(performance.now() - t0),
    });
    expect(at).toHaveLength(8);
    expect(at[0]!).toBeGreaterThanOrEqual(out.timeToFirstTokenMs! - 1);
    expect(at[7]! - at[0]!).toBeGreaterThan(0);
  });
});
