// The gateway section's reference front: a byte-forwarding node:http proxy in front of the subgraph. It reads the
// request, sends the same bytes (and the caller's Authorization, X-Purpose and Sec-GPC) to the subgraph over a
// kept-alive connection, and answers with the subgraph's bytes: no parsing, no identity, no policy, no limits.
// It shows what the plainest Node front costs with node:http's client. (It was the section's "ceiling" until the
// gateway's direct path got its own client, apps/gateway/src/subgraph-client.ts, which costs less per request.)
//
// Env: CUSTOS_SUBGRAPH_URL (required), PORT (default 4012), HOST (default 127.0.0.1).
import http from 'node:http';
import { serverEnv } from './lifecycle.js';

const { value: target, port, host } = serverEnv('proxy', 'CUSTOS_SUBGRAPH_URL', 4012);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const FORWARDED = ['authorization', 'x-purpose', 'sec-gpc', 'content-type'] as const;

const server = http.createServer((req, res) => {
  if (req.url === '/readyz') {
    res.end('ready');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers: Record<string, string | string[] | number> = { 'content-length': body.length };
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (value) headers[name] = value;
    }
    const upstream = http.request(target, { method: 'POST', agent, headers }, (answer) => {
      const out: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => out.push(chunk));
      answer.on('end', () => {
        const text = Buffer.concat(out);
        res.writeHead(answer.statusCode ?? 502, {
          'content-type': answer.headers['content-type'] ?? 'application/json',
          'content-length': text.length,
        });
        res.end(text);
      });
    });
    upstream.on('error', () => {
      res.writeHead(502).end();
    });
    upstream.end(body);
  });
});
server.listen(port, host);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
