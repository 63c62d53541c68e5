// The gateway section's reference front: a byte-forwarding node:http proxy in front of the subgraph. It reads the
// request, sends the same bytes (and the caller's Authorization, X-Purpose and Sec-GPC) to the subgraph over a
// kept-alive connection, and answers with the subgraph's bytes: no parsing, no identity, no policy, no limits.
// It shows what the plainest Node front costs with node:http's client. (It was the section's "ceiling" until the
// gateway's direct path got its own client, apps/gateway/src/subgraph-client.ts, which costs less per request.)
//
// Env: CUSTOS_SUBGRAPH_URL (required), PORT (default 4012), HOST (default 127.0.0.1).
import http from 'node:http';

const target = process.env.CUSTOS_SUBGRAPH_URL;
if (!target) {
  console.error('proxy: CUSTOS_SUBGRAPH_URL is required');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4012);
const host = process.env.HOST ?? '127.0.0.1';
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const FORWARDED = ['authorization', 'x-purpose', 'sec-gpc', 'content-type'];

const server = http.createServer((req, res) => {
  if (req.url === '/readyz') {
    res.end('ready');
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = { 'content-length': body.length };
    for (const name of FORWARDED) if (req.headers[name]) headers[name] = req.headers[name];
    const upstream = http.request(target, { method: 'POST', agent, headers }, (answer) => {
      const out = [];
      answer.on('data', (chunk) => out.push(chunk));
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
