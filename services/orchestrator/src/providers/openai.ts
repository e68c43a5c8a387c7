// OpenAI-compatible HTTP provider: POST {baseUrl}/chat/completions. Streams by default
// (stream_options.include_usage) to measure time to the first chunk; reads usage from the
// response — cached prompt tokens and reasoning tokens included — and normalises it to
// non-overlapping types. Per-attempt timeout; retries on 429/5xx/network/timeout with
// exponential backoff and jitter, honouring Retry-After.
import {
  ProviderError,
  sleep,
  type CompletionRequest,
  type CompletionResult,
  type ProviderAdapter,
  type TokenUsage,
} from './types.js';

export interface OpenAiProviderOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  /** Models served through this endpoint (request models accepted by the orchestrator). */
  models: readonly string[];
  /** gen_ai.provider.name to report (default openai). */
  providerName?: string;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Retries after the first attempt for retryable failures. */
  maxRetries: number;
  /** First backoff, ms (doubles each retry, ±50% jitter). */
  retryBaseMs?: number;
  stream?: boolean;
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface ChatCompletion {
  model?: string;
  choices?: { message?: { content?: string | null }; delta?: { content?: string | null } }[];
  usage?: OpenAiUsage | null;
}

/**
 * OpenAI counts cached tokens and cache writes (prompt_tokens_details.cache_write_tokens, reported
 * by models that bill writes) inside prompt_tokens, and reasoning inside completion_tokens.
 */
export function normalizeOpenAiUsage(u: OpenAiUsage): TokenUsage {
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  const cached = Math.min(prompt, u.prompt_tokens_details?.cached_tokens ?? 0);
  const written = Math.min(prompt - cached, u.prompt_tokens_details?.cache_write_tokens ?? 0);
  const reasoning = Math.min(completion, u.completion_tokens_details?.reasoning_tokens ?? 0);
  return {
    input: prompt - cached - written,
    output: completion - reasoning,
    cacheRead: cached,
    cacheWrite: written,
    reasoning,
  };
}

export class OpenAiCompatibleProvider implements ProviderAdapter {
  readonly kind = 'openai-http';
  private readonly url: string;
  private readonly models: Set<string>;
  private readonly endpoint: { address: string; port: number };

  constructor(private readonly opts: OpenAiProviderOptions) {
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.models = new Set(opts.models);
    const u = new URL(this.url);
    this.endpoint = { address: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  }

  endpointOf(): { address: string; port: number } {
    return this.endpoint;
  }

  supports(model: string): boolean {
    return this.models.has(model);
  }

  providerOf(): string {
    return this.opts.providerName ?? 'openai';
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const base = this.opts.retryBaseMs ?? 200;
    for (let retry = 0; ; retry++) {
      try {
        return await this.attempt(req);
      } catch (err) {
        const e = toProviderError(err, req.signal);
        if (!e.retryable || retry >= this.opts.maxRetries || req.signal.aborted) throw e;
        const backoff = e.retryAfterMs ?? base * 2 ** retry * (0.5 + Math.random());
        await sleep(backoff, req.signal);
      }
    }
  }

  private async attempt(req: CompletionRequest): Promise<CompletionResult> {
    const stream = this.opts.stream ?? true;
    const started = performance.now();
    const signal = AbortSignal.any([req.signal, AbortSignal.timeout(this.opts.timeoutMs)]);
    const body: Record<string, unknown> = {
      model: req.model,
      messages: [{ role: 'user', content: req.prompt ?? syntheticPrompt(req) }],
      stream,
    };
    if (stream) body.stream_options = { include_usage: true };
    if (req.maxOutputTokens !== undefined) body.max_completion_tokens = req.maxOutputTokens;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
    };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;

    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw httpError(res.status, res.headers.get('retry-after'), text);
    }
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream')) {
      const json = (await res.json()) as ChatCompletion;
      if (!json.usage) throw new ProviderError('invalid_response', 'chat completion without usage', false);
      return {
        text: json.choices?.[0]?.message?.content ?? '',
        responseModel: json.model ?? req.model,
        usage: normalizeOpenAiUsage(json.usage),
        timeToFirstTokenMs: null,
      };
    }
    return readStream(res, req.model, started, req.onChunk);
  }
}

async function readStream(
  res: Response,
  model: string,
  started: number,
  onChunk: (() => void) | undefined,
): Promise<CompletionResult> {
  if (!res.body) throw new ProviderError('invalid_response', 'empty stream', false);
  const decoder = new TextDecoder();
  let buf = '';
  let ttft: number | null = null;
  let text = '';
  let responseModel = model;
  let usage: OpenAiUsage | null = null;
  let done = false;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      let ev: ChatCompletion;
      try {
        ev = JSON.parse(data) as ChatCompletion;
      } catch {
        throw new ProviderError('invalid_response', 'malformed stream chunk', false);
      }
      if (ev.model) responseModel = ev.model;
      const delta = ev.choices?.[0]?.delta?.content;
      if (delta) {
        ttft ??= performance.now() - started;
        onChunk?.();
        text += delta;
      }
      if (ev.usage) usage = ev.usage;
    }
  }
  if (!done && !usage) throw new ProviderError('stream_interrupted', 'stream ended before [DONE]', true);
  if (!usage)
    throw new ProviderError(
      'invalid_response',
      'stream without usage (stream_options.include_usage unsupported?)',
      false,
    );
  return { text, responseModel, usage: normalizeOpenAiUsage(usage), timeToFirstTokenMs: ttft };
}

function httpError(status: number, retryAfter: string | null, body: string): ProviderError {
  const detail = body.slice(0, 200);
  const after = parseRetryAfter(retryAfter);
  if (status === 429) return new ProviderError('rate_limited', `HTTP 429: ${detail}`, true, status, after);
  if (status === 408) return new ProviderError('timeout', `HTTP 408: ${detail}`, true, status, after);
  if (status >= 500) return new ProviderError(`http_${status}`, `HTTP ${status}: ${detail}`, true, status, after);
  return new ProviderError(`http_${status}`, `HTTP ${status}: ${detail}`, false, status);
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.min(Math.max(s * 1000, 0), 30_000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(at - Date.now(), 0), 30_000);
}

function toProviderError(err: unknown, outer: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (outer.aborted) {
    const r: unknown = outer.reason;
    if (r instanceof ProviderError) return r;
    return new ProviderError('cancelled', 'cancelled by the caller', false);
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new ProviderError('timeout', 'provider call timed out', true);
  }
  if (err instanceof SyntaxError)
    return new ProviderError('invalid_response', `unparseable response: ${err.message}`, false);
  return new ProviderError('network', err instanceof Error ? err.message : String(err), true);
}

function syntheticPrompt(req: CompletionRequest): string {
  // A synthetic task sent to a real endpoint: a filler prompt of about the requested size.
  const n = req.synthetic?.inputTokens ?? 16;
  return `Task ${req.taskName}. ` + 'lorem '.repeat(Math.max(1, Math.floor(n * 0.75)));
}
