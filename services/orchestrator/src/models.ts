// The models this orchestrator knows, with the simulated provider's behaviour for each:
// latency (time to first chunk, streaming speed) and token distributions. A job naming a
// model that is not here (nor configured for the HTTP provider) is refused with a 400.
// Names and providers match the SDK's default price table, so simulated calls are priced.

export interface SimulatedModel {
  /** gen_ai.request.model */
  name: string;
  /** gen_ai.provider.name (what the call is priced and circuit-broken under). */
  provider: string;
  /** The model that "answers" (gen_ai.response.model), e.g. a dated snapshot. */
  responseModel: string;
  /** Median time to the first streamed chunk, ms, and its log-normal spread. */
  ttftMedianMs: number;
  ttftSigma: number;
  /** Streaming speed after the first chunk, output tokens per second. */
  tokensPerSecond: number;
  /** Input tokens (log-normal median / spread) when the task gives neither prompt nor size. */
  inputMedian: number;
  inputSigma: number;
  /** Output tokens (log-normal median / spread) when the task gives no size. */
  outputMedian: number;
  outputSigma: number;
  /** Share of input tokens served from the provider cache (0 = none). */
  cacheReadShare: number;
  /** Share of input tokens written to the cache (Anthropic-style prompt caching). */
  cacheWriteShare: number;
  /** Reasoning tokens as a multiple of visible output tokens (reasoning models). */
  reasoningFactor: number;
}

export const SIMULATED_MODELS: readonly SimulatedModel[] = [
  {
    name: 'gpt-4o',
    provider: 'openai',
    responseModel: 'gpt-4o-2024-08-06',
    ttftMedianMs: 450,
    ttftSigma: 0.35,
    tokensPerSecond: 90,
    inputMedian: 1800,
    inputSigma: 0.7,
    outputMedian: 350,
    outputSigma: 0.6,
    cacheReadShare: 0.3,
    cacheWriteShare: 0,
    reasoningFactor: 0,
  },
  {
    name: 'gpt-4o-mini',
    provider: 'openai',
    responseModel: 'gpt-4o-mini-2024-07-18',
    ttftMedianMs: 300,
    ttftSigma: 0.3,
    tokensPerSecond: 140,
    inputMedian: 1200,
    inputSigma: 0.7,
    outputMedian: 250,
    outputSigma: 0.6,
    cacheReadShare: 0.25,
    cacheWriteShare: 0,
    reasoningFactor: 0,
  },
  {
    name: 'o3-mini',
    provider: 'openai',
    responseModel: 'o3-mini-2025-01-31',
    ttftMedianMs: 1800,
    ttftSigma: 0.5,
    tokensPerSecond: 120,
    inputMedian: 1500,
    inputSigma: 0.6,
    outputMedian: 300,
    outputSigma: 0.5,
    cacheReadShare: 0.2,
    cacheWriteShare: 0,
    reasoningFactor: 2.5,
  },
  {
    name: 'claude-3-7-sonnet',
    provider: 'anthropic',
    responseModel: 'claude-3-7-sonnet-20250219',
    ttftMedianMs: 600,
    ttftSigma: 0.35,
    tokensPerSecond: 70,
    inputMedian: 2500,
    inputSigma: 0.7,
    outputMedian: 400,
    outputSigma: 0.6,
    cacheReadShare: 0.4,
    cacheWriteShare: 0.1,
    reasoningFactor: 0,
  },
  {
    name: 'claude-3-5-haiku',
    provider: 'anthropic',
    responseModel: 'claude-3-5-haiku-20241022',
    ttftMedianMs: 350,
    ttftSigma: 0.3,
    tokensPerSecond: 120,
    inputMedian: 1000,
    inputSigma: 0.6,
    outputMedian: 200,
    outputSigma: 0.5,
    cacheReadShare: 0.3,
    cacheWriteShare: 0.05,
    reasoningFactor: 0,
  },
  {
    name: 'gemini-2.0-flash',
    provider: 'gcp.gemini',
    responseModel: 'gemini-2.0-flash-001',
    ttftMedianMs: 250,
    ttftSigma: 0.3,
    tokensPerSecond: 180,
    inputMedian: 2000,
    inputSigma: 0.8,
    outputMedian: 300,
    outputSigma: 0.6,
    cacheReadShare: 0.2,
    cacheWriteShare: 0,
    reasoningFactor: 0,
  },
];

export function findSimulatedModel(name: string): SimulatedModel | undefined {
  return SIMULATED_MODELS.find((m) => m.name === name);
}
