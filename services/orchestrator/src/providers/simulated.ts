// The simulated provider: per-model latency and token distributions, streaming
// time-to-first-chunk, configurable failure and timeout rates. Deterministic under a seed:
// every draw for a task comes from a generator keyed by (seed, job id, task name, attempt).
import { findSimulatedModel, type SimulatedModel } from '../models.js';
import { createRng } from '@aurea/common';
import {
  ProviderError,
  sleep,
  type CompletionRequest,
  type CompletionResult,
  type ProviderAdapter,
  type TokenUsage,
} from './types.js';

/** Chunks a simulated streamed response is split into (at most; fewer for shorter outputs). */
const SIMULATED_CHUNKS = 8;

export interface SimulatedProviderOptions {
  seed: number | string;
  /** Probability that a call fails with a provider error (5xx-like). */
  failureRate: number;
  /** Probability that a call hangs until the caller's timeout. */
  timeoutRate: number;
  /** Multiplies every simulated delay (0.01 makes tests fast; 1 is realistic). */
  latencyScale: number;
  models?: readonly SimulatedModel[];
}

/** What a call will do, decided up front from the seeded generator (pure: unit-tested). */
export interface SimulatedPlan {
  outcome: 'ok' | 'error' | 'timeout';
  usage: TokenUsage;
  ttftMs: number;
  totalMs: number;
  responseModel: string;
}

export function planCall(
  model: SimulatedModel,
  req: Omit<CompletionRequest, 'signal'>,
  opts: SimulatedProviderOptions,
): SimulatedPlan {
  const rng = createRng(opts.seed, `${req.jobId}\u0000${req.taskName}\u0000${req.attempt}`);
  const roll = rng.next();
  const drawn: SimulatedPlan['outcome'] =
    roll < opts.failureRate ? 'error' : roll < opts.failureRate + opts.timeoutRate ? 'timeout' : 'ok';
  const outcome = req.simulate ?? drawn;

  let usage: TokenUsage;
  if (req.synthetic) {
    const s = req.synthetic;
    usage = {
      input: s.inputTokens,
      output: s.outputTokens,
      cacheRead: s.cacheReadTokens ?? 0,
      cacheWrite: s.cacheWriteTokens ?? 0,
      reasoning: s.reasoningTokens ?? 0,
    };
  } else {
    // A prompt's size is ~4 characters per token; otherwise drawn from the model's distribution.
    const promptTokens =
      req.prompt !== undefined
        ? Math.max(1, Math.ceil(req.prompt.length / 4))
        : Math.max(1, Math.round(rng.logNormal(model.inputMedian, model.inputSigma)));
    const cacheWrite = Math.floor(promptTokens * model.cacheWriteShare);
    const cacheRead = Math.min(
      promptTokens - cacheWrite,
      Math.floor(promptTokens * model.cacheReadShare * (0.5 + rng.next())),
    );
    let output = Math.max(1, Math.round(rng.logNormal(model.outputMedian, model.outputSigma)));
    if (req.maxOutputTokens !== undefined) output = Math.min(output, req.maxOutputTokens);
    const reasoning = Math.round(output * model.reasoningFactor * (0.5 + rng.next()));
    usage = { input: Math.max(0, promptTokens - cacheRead - cacheWrite), output, cacheRead, cacheWrite, reasoning };
  }
  if (outcome === 'error') {
    // A failed call is billed nothing here (the request was rejected before generation).
    usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  }
  const ttftMs = Math.max(20, rng.logNormal(model.ttftMedianMs, model.ttftSigma)) * opts.latencyScale;
  const streamMs = ((usage.output + usage.reasoning) / model.tokensPerSecond) * 1000 * opts.latencyScale;
  return { outcome, usage, ttftMs, totalMs: ttftMs + streamMs, responseModel: model.responseModel };
}

export class SimulatedProvider implements ProviderAdapter {
  readonly kind = 'simulated';
  private readonly models: readonly SimulatedModel[] | undefined;

  constructor(private readonly opts: SimulatedProviderOptions) {
    this.models = opts.models;
  }

  private model(name: string): SimulatedModel | undefined {
    return this.models ? this.models.find((m) => m.name === name) : findSimulatedModel(name);
  }

  supports(model: string): boolean {
    return this.model(model) !== undefined;
  }

  providerOf(model: string): string {
    const m = this.model(model);
    if (!m) throw new Error(`simulated provider has no model ${model}`);
    return m.provider;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const m = this.model(req.model);
    if (!m) throw new ProviderError('unknown_model', `simulated provider has no model ${req.model}`, false);
    const plan = planCall(m, req, this.opts);
    if (plan.outcome === 'error') {
      await sleep(plan.ttftMs, req.signal);
      throw new ProviderError('provider_error', `simulated ${m.provider} error (HTTP 500)`, true, 500);
    }
    if (plan.outcome === 'timeout') {
      // Hang until the caller's deadline aborts the call.
      await sleep(2_147_483_647, req.signal);
    }
    await sleep(plan.ttftMs, req.signal);
    const ttft = plan.ttftMs;
    const streamMs = plan.totalMs - plan.ttftMs;
    if (req.onChunk === undefined) await sleep(streamMs, req.signal);
    else {
      // The output streamed as up to SIMULATED_CHUNKS evenly spaced chunks, the first at ttft.
      req.onChunk();
      const more = Math.min(SIMULATED_CHUNKS, Math.max(1, plan.usage.output)) - 1;
      if (more === 0) await sleep(streamMs, req.signal);
      for (let i = 0; i < more; i++) {
        await sleep(streamMs / more, req.signal);
        req.onChunk();
      }
    }
    return {
      text: `simulated answer from ${m.name} (${plan.usage.output} tokens)`,
      responseModel: plan.responseModel,
      usage: plan.usage,
      timeToFirstTokenMs: ttft,
    };
  }
}
