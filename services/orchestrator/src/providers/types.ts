// What a provider adapter does: one chat completion, with token usage by type.
// Usage types never overlap (the task-event contract's convention): `input` excludes cache
// reads and writes, `output` excludes reasoning tokens. Adapters normalise their provider's
// counting (OpenAI reports cached tokens inside prompt_tokens) before returning.

export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

/** Exact token counts for a synthetic task (load generation, tests with known costs). */
export interface SyntheticSize {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export interface CompletionRequest {
  jobId: string;
  taskName: string;
  model: string;
  prompt?: string;
  synthetic?: SyntheticSize;
  /** Force an outcome from the simulated provider (tests, demo failure injection). */
  simulate?: 'ok' | 'error' | 'timeout';
  maxOutputTokens?: number;
  /** 0 for the first try; part of the simulated provider's deterministic key. */
  attempt: number;
  signal: AbortSignal;
  /** Called as each chunk of a streamed response's output arrives (the SDK's ctx.recordChunk). */
  onChunk?: () => void;
}

export interface CompletionResult {
  text: string;
  responseModel: string;
  usage: TokenUsage;
  /** Time from request start to the first streamed chunk; null when not streamed. */
  timeToFirstTokenMs: number | null;
}

export interface ProviderAdapter {
  /** Adapter kind, for logs and job status: 'simulated' | 'openai-http'. */
  readonly kind: string;
  /** gen_ai.provider.name for a model this adapter serves. */
  providerOf(model: string): string;
  supports(model: string): boolean;
  /** The endpoint a model is called at (server.address / server.port); undefined when not a network call. */
  endpointOf?(model: string): { address: string; port: number } | undefined;
  complete(req: CompletionRequest): Promise<CompletionResult>;
}

/**
 * A failed provider call. `errorType` is bounded (timeout, cancelled, rate_limited, http_503,
 * provider_error, circuit_open, network, …); `name` is what the SDK records as error.type.
 */
export class ProviderError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    // The SDK maps TimeoutError → status timeout and AbortError → cancelled; other names are the error type.
    this.name = errorType === 'timeout' ? 'TimeoutError' : errorType === 'cancelled' ? 'AbortError' : errorType;
  }
}

export function emptyUsage(): TokenUsage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  if (r instanceof ProviderError) return r;
  if (r instanceof Error && r.name === 'TimeoutError')
    return new ProviderError('timeout', 'provider call timed out', true);
  return new ProviderError('cancelled', r instanceof Error ? r.message : 'provider call cancelled', false);
}
