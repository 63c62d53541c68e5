import http from 'node:http';
import { listen } from '@custos/runtime';

/** One request as a subgraph received it through the recorder. */
export interface RecordedRequest {
  /** The path asked for (`/graphql`, or an endpoint the gateway passes through, e.g. `/dev/token`). */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly query: string;
}

export interface Recorder {
  /** The recorder's GraphQL URL: give it to the gateway instead of the subgraph's. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'content-length', 'host', 'keep-alive', 'transfer-encoding']);

/**
 * A transparent HTTP proxy in front of a real subgraph that remembers what the gateway asked it: which
 * paths and documents, with which headers. The subgraph answers as usual; the proxy changes nothing.
 */
export async function startRecorder(target: string): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let query = '';
      try {
        query = String((JSON.parse(body.toString('utf8')) as { query?: unknown }).query ?? '');
      } catch {
        // Not JSON: recorded with an empty query; the subgraph answers it as it would anyway.
      }
      const url = new URL(req.url ?? '/', target);
      requests.push({ path: url.pathname, headers: req.headers, query });
      const headers = Object.fromEntries(
        Object.entries(req.headers).flatMap(([name, value]) =>
          HOP_BY_HOP.has(name) || value === undefined ? [] : [[name, String(value)]],
        ),
      );
      // The same path on the subgraph's origin: /graphql, or a route the gateway passes through.
      fetch(url, { method: req.method ?? 'POST', headers, ...(body.length > 0 ? { body } : {}) })
        .then(async (answer) => {
          const text = Buffer.from(await answer.arrayBuffer());
          answer.headers.forEach((value, name) => {
            if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') res.setHeader(name, value);
          });
          res.writeHead(answer.status).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  const base = await listen(server, 0, '127.0.0.1');
  return {
    url: `${base}/graphql`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
