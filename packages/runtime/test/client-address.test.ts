import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress, forwardedFor, parseTrustedProxies } from '../src/client-address.js';

/** A request as Node gives it: the socket's peer and the headers (Node joins a repeated X-Forwarded-For). */
const request = (peer: string, forwarded?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

const trusted = (value: string) => {
  const parsed = parseTrustedProxies(value);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed.list;
};

describe('clientAddress()', () => {
  const proxies = trusted('10.0.0.0/8, 127.0.0.1, fd00::/8');

  it.each<[string, string | undefined, string, string]>([
    // [peer, X-Forwarded-For, expected, why]
    ['203.0.113.9', undefined, '203.0.113.9', 'an untrusted peer is the client'],
    ['203.0.113.9', '198.51.100.1', '203.0.113.9', 'an untrusted peer cannot name another client'],
    ['::ffff:203.0.113.9', undefined, '203.0.113.9', 'an IPv4 peer on a dual-stack socket'],
    ['127.0.0.1', undefined, '127.0.0.1', 'a trusted peer without the header is the client'],
    ['127.0.0.1', '198.51.100.1', '198.51.100.1', 'a trusted peer names the client'],
    [
      '127.0.0.1',
      '198.51.100.7, 198.51.100.1',
      '198.51.100.1',
      'the nearest hop counts, not what the client wrote',
    ],
    ['127.0.0.1', '198.51.100.1, 10.1.2.3', '198.51.100.1', 'past a chain of trusted proxies'],
    ['127.0.0.1', '10.9.9.9, 10.1.2.3', '10.9.9.9', 'all trusted: the farthest'],
    ['127.0.0.1', 'garbage, 198.51.100.1', '198.51.100.1', 'a malformed farther hop is never reached'],
    ['127.0.0.1', '198.51.100.1, garbage', '127.0.0.1', 'a malformed nearest hop: the peer'],
    ['fd00::5', '2001:db8::1', '2001:db8::1', 'IPv6 proxies and clients'],
  ])('%s + %s → %s (%s)', (peer, forwarded, expected) => {
    expect(clientAddress(request(peer, forwarded), proxies)).toBe(expected);
  });

  it('trusts nobody without TRUSTED_PROXIES', () => {
    expect(clientAddress(request('127.0.0.1', '198.51.100.1'))).toBe('127.0.0.1');
    const none = parseTrustedProxies(undefined);
    expect(typeof none === 'string' ? none : none.entries).toBe(0);
  });
});

describe('forwardedFor()', () => {
  const proxies = trusted('10.0.0.0/8');

  it('passes on what a trusted peer forwarded, then the peer; drops anyone else’s header', () => {
    expect(forwardedFor(request('10.1.2.3', '198.51.100.1'), proxies)).toBe('198.51.100.1, 10.1.2.3');
    expect(forwardedFor(request('203.0.113.9', '198.51.100.1'), proxies)).toBe('203.0.113.9');
    expect(forwardedFor(request('::ffff:203.0.113.9'), proxies)).toBe('203.0.113.9');
    expect(forwardedFor(request('10.1.2.3'), proxies)).toBe('10.1.2.3');
    // Both ways: the service behind, trusting this proxy (the peer 127.0.0.1 here), finds the same client.
    const behind = trusted('127.0.0.1, 10.0.0.0/8');
    for (const [peer, header] of [
      ['10.1.2.3', '198.51.100.1'],
      ['203.0.113.9', '198.51.100.1'],
    ] as const) {
      const passed = forwardedFor(request(peer, header), proxies);
      expect(clientAddress(request('127.0.0.1', passed), behind)).toBe(
        clientAddress(request(peer, header), proxies),
      );
    }
  });
});
