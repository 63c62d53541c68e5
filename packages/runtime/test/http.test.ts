import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envReader, isLoopback } from '../src/config.js';
import { closeServer, header, listen } from '../src/http.js';

/** The one `header()` every service reads requests with, over a real socket (Node's own header parsing). */
let server: http.Server;
let port: number;
let seen: Record<string, string | undefined> = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen = {
      purpose: header(req, 'x-purpose'),
      authorization: header(req, 'authorization'),
      cookie: header(req, 'set-cookie'),
      absent: header(req, 'x-absent'),
    };
    res.end('ok');
  });
  const url = await listen(server, 0, '127.0.0.1');
  port = Number(new URL(url).port);
});
afterAll(() => closeServer(server, 100));

/** Sends raw header lines, so that a header can be repeated. */
function send(lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(['GET / HTTP/1.1', 'Host: x', 'Connection: close', ...lines, '', ''].join('\r\n'));
    });
    socket.on('data', () => {});
    socket.on('end', () => resolve());
    socket.on('error', reject);
  });
}

describe('header()', () => {
  it('gives one string for a repeated header, the first authorization only, and undefined when absent', async () => {
    await send([
      'X-Purpose: sales',
      'X-Purpose: marketing',
      'Authorization: Bearer first',
      'Authorization: Bearer second',
      'Set-Cookie: a=1',
      'Set-Cookie: b=2',
    ]);
    expect(seen).toEqual({
      purpose: 'sales, marketing',
      authorization: 'Bearer first',
      cookie: 'a=1, b=2',
      absent: undefined,
    });
  });
});

describe('isLoopback()', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.12.0.9', true],
    ['[::1]', true],
    ['10.0.0.1', false],
    ['example.com', false],
    ['localhost.example.com', false],
    ['127.0.0.1.example.com', false],
  ])('%s → %s', (host, expected) => {
    // As URL.hostname writes it.
    expect(isLoopback(new URL(`http://${host}/`).hostname)).toBe(expected);
  });
});

describe('envReader()', () => {
  it('reads trimmed values and bounded whole numbers, naming a bad setting and its rule, never its value', () => {
    const problems: string[] = [];
    const { get, int } = envReader(
      { A: '  x ', BLANK: '   ', N: '42', BIG: '70000', BAD: '12abc' },
      problems,
    );
    expect(get('A')).toBe('x');
    expect(get('BLANK')).toBeUndefined();
    expect(get('UNSET')).toBeUndefined();
    expect(int('N', 1, 0, 100)).toBe(42);
    expect(int('UNSET', 7, 0, 100)).toBe(7);
    expect(int('BIG', 7, 0, 65535)).toBe(7);
    expect(int('BAD', 7, 0, 100)).toBe(7);
    expect(problems).toEqual([
      'BIG: must be a whole number from 0 to 65535',
      'BAD: must be a whole number from 0 to 100',
    ]);
    expect(problems.join(' ')).not.toMatch(/70000|12abc/);
  });
});
