import type { IncomingMessage, ServerResponse } from 'node:http';

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
