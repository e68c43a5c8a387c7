// Which adapter serves a model: the OpenAI-compatible HTTP endpoint when configured for it,
// else the simulated provider. A model neither knows is unknown (400 at submission).
import type { ProviderAdapter } from './providers/types.js';

export interface Route {
  adapter: ProviderAdapter;
  provider: string;
}

export class ProviderRouter {
  constructor(private readonly adapters: readonly ProviderAdapter[]) {}

  resolve(model: string): Route | undefined {
    const adapter = this.adapters.find((a) => a.supports(model));
    return adapter ? { adapter, provider: adapter.providerOf(model) } : undefined;
  }

  /** Every model accepted, with its provider and adapter kind. */
  models(known: readonly string[]): { model: string; provider: string; adapter: string }[] {
    const out: { model: string; provider: string; adapter: string }[] = [];
    for (const model of known) {
      const r = this.resolve(model);
      if (r) out.push({ model, provider: r.provider, adapter: r.adapter.kind });
    }
    return out;
  }
}
