import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { header } from './http.js';

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) as `1.2.3.4`. */
const plain = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

const family = (address: string): 'ipv4' | 'ipv6' | undefined => {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
};

/**
 * The proxies whose `X-Forwarded-For` is believed (TRUSTED_PROXIES: addresses or CIDR blocks, comma-separated), or
 * the problem with an entry (its position and the rule, never the value). Empty: no proxy is trusted.
 */
export function parseTrustedProxies(
  value: string | undefined,
): { list: BlockList; entries: number } | string {
  const list = new BlockList();
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const [address = '', bits, ...rest] = entry.split('/');
    const type = family(address);
    const max = type === 'ipv4' ? 32 : 128;
    if (!type || rest.length > 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits)) || Number(bits) > max) {
      return `TRUSTED_PROXIES: entry ${index + 1} must be an IP address or a CIDR block (address/bits)`;
    }
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return { list, entries: entries.length };
}

const trusts = (list: BlockList | undefined, address: string): boolean => {
  const type = family(address);
  return list !== undefined && type !== undefined && list.check(address, type);
};

/**
 * The address of the client behind a request: the socket's peer, unless that peer is a trusted proxy — then the
 * nearest address in `X-Forwarded-For` (read from the right) that is not itself a trusted proxy. An entry that is
 * not an IP address ends the walk at the last address known good, so a client can never name itself by writing
 * the header: only what trusted proxies appended counts.
 */
export function clientAddress(req: IncomingMessage, trusted?: BlockList): string {
  let address = plain(req.socket.remoteAddress ?? 'unknown');
  if (!trusts(trusted, address)) return address;
  const forwarded = header(req, 'x-forwarded-for');
  if (!forwarded) return address;
  const hops = forwarded.split(',').map((hop) => plain(hop.trim()));
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i] ?? '';
    if (!family(hop)) return address;
    address = hop;
    if (!trusts(trusted, hop)) return address;
  }
  return address;
}

/**
 * The `X-Forwarded-For` a proxy passes on to the service behind it: what a trusted peer forwarded (anyone else's
 * header is dropped), then the peer itself — so the service, trusting this proxy, finds the same client
 * {@link clientAddress} would.
 */
export function forwardedFor(req: IncomingMessage, trusted?: BlockList): string {
  const peer = plain(req.socket.remoteAddress ?? 'unknown');
  const forwarded = header(req, 'x-forwarded-for');
  return trusts(trusted, peer) && forwarded ? `${forwarded}, ${peer}` : peer;
}
