import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import { BodyTooLarge, errorBody, forwardedFor, header, readBody, sendJson } from '@custos/runtime';
import { corsHeaders } from './http.js';

/** What a data-subject endpoint's request may carry on to the subgraph: nothing that identifies a staff member. */
const PASSED_ON = ['content-type', 'user-agent', 'sec-gpc', 'accept', 'accept-language'] as const;
/** What the subgraph's answer may carry back: its pages' own protections included (no framing, no referrer). */
const PASSED_BACK = [
  'content-type',
  'retry-after',
  'x-request-id',
  'content-security-policy',
  'referrer-policy',
  'x-frame-options',
] as const;
/** The data-subject endpoints' bodies are small forms (the subgraph refuses past 16 KiB). */
const MAX_BODY = 16_384;

export interface PublicRouteOptions {
  /** The subgraph that serves `/public/*` (Custos): its base URL, without `/graphql`. */
  readonly target: string;
  /** Origins of the company's own forms, which browsers may post from (PUBLIC_FORM_ORIGINS). */
  readonly formOrigins: readonly string[];
  /** Proxies in front of the gateway whose X-Forwarded-For it passes on (TRUSTED_PROXIES). */
  readonly trustedProxies: BlockList;
}

/**
 * `/public/*` at the gateway: the data-subject endpoints of the subgraph that serves them, reachable while the
 * subgraphs stay private. The gateway adds nothing of its own but the client's address: `X-Forwarded-For` as it
 * received it from a trusted proxy (else dropped) followed by its peer, so that the subgraph — trusting the
 * gateway — keys its shared rate limit on the client and not on the gateway. CORS only for the form origins.
 */
export function publicRoute(options: PublicRouteOptions) {
  return async (req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<number> => {
    const cors = corsHeaders(req, options.formOrigins, 'retry-after');
    if (req.method === 'OPTIONS') {
      // A preflight: answered here (the form posts JSON); an origin not listed gets no CORS headers, so the
      // browser refuses it.
      res.writeHead(204, {
        ...cors,
        ...(cors['access-control-allow-origin']
          ? {
              'access-control-allow-methods': 'GET, POST',
              'access-control-allow-headers': 'content-type',
              'access-control-max-age': '600',
            }
          : {}),
      });
      res.end();
      return 204;
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      sendJson(res, 405, errorBody('Use POST (or GET for a confirmation link)', 'METHOD_NOT_ALLOWED'), {
        allow: 'GET, POST',
        ...cors,
      });
      return 405;
    }
    let body: Buffer | undefined;
    if (req.method === 'POST') {
      try {
        body = await readBody(req, MAX_BODY);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        sendJson(res, 413, errorBody(`Request body is larger than ${MAX_BODY} bytes`, 'BODY_TOO_LARGE'), {
          connection: 'close',
          ...cors,
        });
        return 413;
      }
    }
    const headers = new Headers();
    for (const name of PASSED_ON) {
      const value = header(req, name);
      if (value !== undefined) headers.set(name, value);
    }
    headers.set('x-forwarded-for', forwardedFor(req, options.trustedProxies));
    return relay(
      res,
      `${options.target}${path}${search}`,
      { method: req.method, headers, ...(body ? { body } : {}) },
      PASSED_BACK,
      cors,
    );
  };
}

/**
 * Sends a request on to `url` (the Custos subgraph) and its answer back: the status, the body, and of its headers
 * only those `passedBack` names, beside `extra` and the protections every such answer has (never cached, never
 * sniffed). Redirects are not followed; the subgraph has 30 s.
 */
export async function relay(
  res: ServerResponse,
  url: string,
  request: { readonly method: string; readonly headers: Headers; readonly body?: Buffer },
  passedBack: readonly string[],
  extra: Record<string, string> = {},
): Promise<number> {
  const answer = await fetch(url, {
    method: request.method,
    headers: request.headers,
    ...(request.body ? { body: new Uint8Array(request.body) } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  const passed: Record<string, string> = {
    ...extra,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  for (const name of passedBack) {
    const value = answer.headers.get(name);
    if (value !== null) passed[name] = value;
  }
  res.writeHead(answer.status, passed);
  res.end(Buffer.from(await answer.arrayBuffer()));
  return answer.status;
}
