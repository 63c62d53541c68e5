import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMail } from '../src/templates.js';
import {
  type CapturedMail,
  captureTransport,
  messageIdFor,
  type OutgoingMail,
  smtpTransport,
  teeTransport,
} from '../src/transports.js';
import { confirmationParams, filesOf, tempDir } from './support.js';

/**
 * Both transports build the same RFC 5322 message from address objects, with the Message-ID derived from the
 * outbox id: the capture folder writes it as a file (parsed back with mailparser), and a real SMTP server on
 * loopback (smtp-server, started here) receives it.
 */
const FROM = { name: 'Acme Privacy', address: 'no-reply@acme.example' };

function outgoing(to: string, outboxId: string = randomUUID()): OutgoingMail {
  const rendered = renderMail('consent_confirmation', confirmationParams());
  return { outboxId, template: 'consent_confirmation', to: { name: '', address: to }, ...rendered };
}

let folder: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  folder = await tempDir('custos-mail-capture-');
});
afterAll(async () => {
  await folder.remove();
});

describe('capture transport', () => {
  it('writes one parseable .eml and its .json sidecar per outbox id', async () => {
    const dir = path.join(folder.dir, 'one');
    const transport = captureTransport({ dir, from: FROM });
    const mail = outgoing('Jane.Doe@xn--bcher-kva.example');
    const sent = await transport.send(mail);
    expect(sent.messageId).toBe(`<${mail.outboxId}@acme.example>`);
    expect(sent.messageId).toBe(messageIdFor(mail.outboxId, FROM));
    expect(await filesOf(dir)).toEqual([`${mail.outboxId}.eml`, `${mail.outboxId}.json`]);

    const raw = await readFile(path.join(dir, `${mail.outboxId}.eml`));
    // The header carries the canonical (A-label) address as given; mailparser shows its domain in Unicode.
    expect(raw.toString('utf8')).toMatch(/^To: Jane\.Doe@xn--bcher-kva\.example\r$/m);
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.subject).toBe(mail.subject);
    expect(parsed.from?.value).toEqual([{ name: 'Acme Privacy', address: 'no-reply@acme.example' }]);
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(to.flatMap((list) => list?.value ?? [])).toEqual([
      { name: '', address: 'Jane.Doe@bücher.example' },
    ]);
    expect(parsed.text).toContain(mail.links[0]);
    expect(parsed.text).toContain('Privacy notice version: 2026-11');
    expect(parsed.html).toContain('Privacy notice version: 2026-11');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');

    const sidecar = JSON.parse(
      await readFile(path.join(dir, `${mail.outboxId}.json`), 'utf8'),
    ) as CapturedMail;
    expect(sidecar).toEqual({
      outboxId: mail.outboxId,
      messageId: sent.messageId,
      template: 'consent_confirmation',
      to: 'Jane.Doe@xn--bcher-kva.example',
      subject: mail.subject,
      links: mail.links,
    });
    await transport.close();
  });

  it('a second send of the same outbox id overwrites the same file: the folder holds the message once', async () => {
    const dir = path.join(folder.dir, 'twice');
    const transport = captureTransport({ dir, from: FROM });
    const mail = outgoing('jane@example.org');
    const first = await transport.send(mail);
    const second = await transport.send(mail);
    expect(second.messageId).toBe(first.messageId);
    expect(await filesOf(dir)).toEqual([`${mail.outboxId}.eml`, `${mail.outboxId}.json`]);
    await transport.close();
  });

  it('refuses an outbox id that is not a UUID (it names a file)', async () => {
    const transport = captureTransport({ dir: path.join(folder.dir, 'bad'), from: FROM });
    await expect(transport.send(outgoing('jane@example.org', '../../etc/passwd'))).rejects.toThrow(
      /outboxId: must be a UUID/,
    );
    expect(await filesOf(path.join(folder.dir, 'bad'))).toEqual([]);
  });
});

describe('SMTP transport, through a real SMTP server on loopback', () => {
  interface Received {
    raw: Buffer;
    mailFrom: string | undefined;
    rcptTo: string[];
  }
  const received: Received[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      // Plain SMTP on loopback: no TLS certificate to make, no authentication to configure.
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            raw: Buffer.concat(chunks),
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          });
          callback(null, 'Message queued');
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers the message; what arrived parses with the same Message-ID, envelope, parts and link', async () => {
    const transport = smtpTransport({ url: `smtp://127.0.0.1:${port}`, from: FROM, timeoutMs: 5_000 });
    const mail = outgoing("o'neil+news@example.org");
    const sent = await transport.send(mail);
    await transport.close();
    expect(sent.messageId).toBe(`<${mail.outboxId}@acme.example>`);
    expect(received).toHaveLength(1);
    const [arrived] = received;
    expect(arrived!.mailFrom).toBe('no-reply@acme.example');
    expect(arrived!.rcptTo).toEqual(["o'neil+news@example.org"]);
    const parsed = await simpleParser(arrived!.raw);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.subject).toBe('Please confirm your consent – Acme Widgets GmbH');
    expect(parsed.text).toContain(mail.links[0]);
    expect(parsed.html).toContain('Acme Widgets GmbH');
    expect(parsed.html).toContain('privacy@acme.example');
  });

  it('a tee sends through SMTP and keeps a copy in the capture folder', async () => {
    const dir = path.join(folder.dir, 'tee');
    const transport = teeTransport(
      smtpTransport({ url: `smtp://127.0.0.1:${port}`, from: FROM, timeoutMs: 5_000 }),
      captureTransport({ dir, from: FROM }),
    );
    expect(transport.name).toBe('smtp+capture');
    const before = received.length;
    const mail = outgoing('jane@example.org');
    const sent = await transport.send(mail);
    await transport.close();
    expect(received).toHaveLength(before + 1);
    expect(await filesOf(dir)).toEqual([`${mail.outboxId}.eml`, `${mail.outboxId}.json`]);
    expect((await simpleParser(received.at(-1)!.raw)).messageId).toBe(sent.messageId);
  });
});
