// The small HTTP endpoint every headless service (consumer, span bridge) serves for Kubernetes
// probes and Prometheus: /health (the process serves), /ready (the service's own readiness
// check), /metrics (the SDK's Prometheus text). Port 0 disables it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Readiness {
  ready: boolean;
  reason?: string;
  [detail: string]: unknown;
}

export interface ProbeServerOptions {
  host: string;
  port: number;
  ready: () => Promise<Readiness>;
  metrics?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface ProbeServer {
  server: Server | null;
  close(): Promise<void>;
}

export async function serveProbes(o: ProbeServerOptions): Promise<ProbeServer> {
  if (o.port === 0) return { server: null, close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/health') return reply(200, { status: 'ok' });
    if (req.url === '/metrics' && o.metrics) return o.metrics(req, res);
    if (req.url === '/ready') {
      o.ready()
        .then(({ ready, ...rest }) => reply(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', ...rest }))
        .catch((err: unknown) => reply(503, { status: 'not_ready', reason: (err as Error).message }));
      return;
    }
    reply(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return { server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
