import type { Role } from '@custos/policy';

const base64Url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** An unsigned JWT of the shape the gateway issues: the console reads it and never verifies it. */
export function fakeToken(claims: {
  sub: string;
  roles?: readonly (Role | string)[];
  /** Seconds since the epoch; an hour from now unless told, none when null. */
  exp?: number | null;
  /** Other claims, e.g. the roles under a provider's namespaced claim. */
  [claim: string]: unknown;
}): string {
  const exp = claims.exp === null ? undefined : (claims.exp ?? Math.floor(Date.now() / 1000) + 3600);
  return `${base64Url({ alg: 'ES256', typ: 'JWT' })}.${base64Url({ ...claims, exp })}.signature`;
}

export interface Call {
  readonly url: string;
  readonly init: RequestInit;
  readonly body: unknown;
  readonly headers: Headers;
}

/**
 * A stand-in for `fetch` that records each request and answers from a list, for unit tests of request building and
 * response mapping only (the end-to-end tests talk to the real gateway).
 */
export function recordingFetch(answers: readonly (() => Response)[]) {
  const calls: Call[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push({
      url: String(input),
      init,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: new Headers(init.headers),
    });
    const answer = answers[calls.length - 1];
    if (!answer) throw new Error(`no answer prepared for request ${calls.length}`);
    return answer();
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
