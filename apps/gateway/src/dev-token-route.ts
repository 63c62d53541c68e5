import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLarge, errorBody, header, readBody, sendJson } from '@custos/runtime';
import { relay } from './public-route.js';

/** The subgraph refuses past 4 KiB too: `{ sub, roles }` is a few dozen bytes. */
const MAX_BODY = 4096;
export const DEV_TOKEN_PATH = '/dev/token';

/**
 * `POST /dev/token` at the gateway, in development only (gateway.ts leaves it out in production, where it is an
 * unknown path: 404): the Custos subgraph's development token endpoint, which holds the development key, for the
 * console's sign-in page (served through Vite's proxy, same origin: no CORS here). Only the body and its type go
 * on; the token comes back with the subgraph's status, type and request id, never cached.
 */
export function devTokenRoute(options: { readonly target: string }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    if (req.method !== 'POST') {
      sendJson(res, 405, errorBody('Use POST', 'METHOD_NOT_ALLOWED'), { allow: 'POST' });
      return 405;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      sendJson(res, 413, errorBody(`Request body is larger than ${MAX_BODY} bytes`, 'BODY_TOO_LARGE'), {
        connection: 'close',
      });
      return 413;
    }
    const headers = new Headers();
    const type = header(req, 'content-type');
    if (type !== undefined) headers.set('content-type', type);
    return relay(res, `${options.target}${DEV_TOKEN_PATH}`, { method: 'POST', headers, body }, [
      'content-type',
      'x-request-id',
    ]);
  };
}
