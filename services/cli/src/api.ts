// A small client of the analytics API (/v1) and, for the live summary, of the orchestrator
// and Prometheus. Types mirror the API's published schemas (only the fields we print).

export interface Tokens {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  total: number;
}

export interface GroupStats {
  tasks: number;
  failed_tasks: number;
  unpriced_tasks: number;
  cost_usd: string;
  provided_cost_usd: string;
  tokens: Tokens;
}

export interface JobListItem extends GroupStats {
  job_id: string;
  status: string;
  first_seen: string;
  last_seen: string;
  latency_avg_ms: number;
  services: string[];
}

export interface JobList {
  currency: string;
  jobs: JobListItem[];
  next_cursor: string | null;
}

export interface Latency {
  avg: number;
  p50: number;
  p95: number;
  max: number;
  total: number;
}

export interface JobSummary extends GroupStats {
  job_id: string;
  status?: string;
  first_seen: string;
  last_seen: string;
  duration_ms: number;
  tasks_by_status: Record<string, number>;
  services: string[];
  tenants: string[];
  users: string[];
  repositories: string[];
  task_breakdown: ({ task_name: string; latency_ms: Latency } & GroupStats)[];
  model_usage: ({ provider: string; model: string; latency_ms: Latency } & GroupStats)[];
}

export interface AttributionRow extends GroupStats {
  bucket: string | null;
  group: Record<string, string | null>;
  jobs: number;
  latency_avg_ms: number;
}

export interface Attribution {
  currency: string;
  from: string;
  to: string;
  group_by: string[];
  rows: AttributionRow[];
  truncated: boolean;
}

export interface RepriceRequest {
  from: string;
  to: string;
  tenant?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  dry_run: boolean;
}

/** The answer of POST /v1/reprice: totals over the changed events, decimal strings with 9 decimals. */
export interface RepriceReport {
  currency: string;
  events_scanned: number;
  events_changed: number;
  old_total_usd: string;
  new_total_usd: string;
  unpriced_after: number;
  price_version: string;
  dry_run: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class AnalyticsClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey?: string,
    private readonly timeoutMs = 10_000,
  ) {}

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown, timeoutMs?: number): Promise<T> {
    return this.request<T>('POST', path, {}, body, timeoutMs);
  }

  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string | number | undefined>,
    body?: unknown,
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const url = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ApiError(
        0,
        `cannot reach ${url.origin} (${err instanceof Error ? err.message : String(err)}); is the analytics API running? (npm start, or set AUREA_API_URL)`,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try {
        const j = JSON.parse(text) as { message?: string; error?: string };
        msg = j.message ?? j.error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new ApiError(res.status, `${res.status} from ${url.pathname}: ${msg}`);
    }
    return JSON.parse(text) as T;
  }

  jobs(q: Record<string, string | number | undefined>): Promise<JobList> {
    return this.get<JobList>('v1/jobs', q);
  }

  job(id: string): Promise<JobSummary> {
    return this.get<JobSummary>(`v1/jobs/${encodeURIComponent(id)}`);
  }

  attribution(q: Record<string, string | number | undefined>): Promise<Attribution> {
    return this.get<Attribution>('v1/attribution', q);
  }

  /** POST /v1/reprice (docs/api.md, "Repricing"); a large range takes a while, hence its own timeout. */
  reprice(body: RepriceRequest, timeoutMs: number): Promise<RepriceReport> {
    return this.post<RepriceReport>('v1/reprice', body, timeoutMs);
  }
}

/** Instant query against Prometheus' HTTP API; the value of the first sample, or null. */
export async function promScalar(prometheusUrl: string, query: string): Promise<number | null> {
  const url = new URL('/api/v1/query', prometheusUrl);
  url.searchParams.set('query', query);
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) return null;
  const body = (await res.json()) as { data?: { result?: { value?: [number, string] }[] } };
  const v = body.data?.result?.[0]?.value?.[1];
  return v === undefined ? null : Number(v);
}
