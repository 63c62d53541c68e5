import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The HTTP answers every Custos service gives the same way (subgraphs and gateway). */

/** A request body past the configured limit: answered 413 BODY_TOO_LARGE. */
export class BodyTooLarge extends Error {}

/** The request body, refused past `limit` bytes whether or not the client declared its length. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * `Expect: 100-continue` answered by the limit: node:http would say `100 Continue` to every such request before
 * any handler runs, inviting a body it will refuse. A body declared larger than `limit` gets no invitation: the
 * request goes straight to the handler, whose {@link readBody} answers 413 from the declared length alone.
 */
export function continueWithinLimit(server: Server, limit: number): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(Number(req.headers['content-length'] ?? 0) > limit)) res.writeContinue();
    server.emit('request', req, res);
  });
}

/** A JSON answer that is never cached (it may carry personal data) and never sniffed. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** The GraphQL error shape for answers given before GraphQL runs. */
export const errorBody = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

/**
 * One request header as a string, undefined when absent. Node already joins a repeated header with `, ` (and keeps
 * only the first `authorization`); only `set-cookie` arrives as a list, joined here the same way.
 */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
    });
  });
}

/** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes what is left. */
export function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
