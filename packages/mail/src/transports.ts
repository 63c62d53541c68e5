import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { MailAddress } from './address.js';

/**
 * Where a message goes once delivery has claimed it: SMTP (`SMTP_URL`) or the capture folder (development and
 * tests: one .eml file per outbox row, under `.data/outbox/`). Both build the message the same way, through
 * nodemailer, from address objects only — never a string nodemailer would parse for addresses.
 *
 * The Message-ID is derived from the outbox id (`<outbox id@sender's domain>`), so every attempt at one row sends
 * the same Message-ID: receivers and the capture folder drop a duplicate that a retry after a crash produces.
 */
export interface OutgoingMail {
  /** The outbox row (a UUID): the Message-ID and the capture file are named after it. */
  readonly outboxId: string;
  readonly template: string;
  readonly to: MailAddress;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly links: readonly string[];
}

export interface SentMail {
  /** The Message-ID header the message was sent with, angle brackets included. */
  readonly messageId: string;
  /** The id the SMTP server gave in its final 250 reply (its queue id), when it gave one. */
  readonly serverMessageId?: string | undefined;
}

export interface MailTransport {
  /** `smtp`, `capture`, or their names joined by `+` when one sends and the other keeps a copy. */
  readonly name: string;
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An outbox id is a UUID: it names a file and a Message-ID, so nothing else is taken. */
export const isOutboxId = (id: string): boolean => UUID.test(id);

/** The stable Message-ID of an outbox row (RFC 5322 §3.6.4: unique left part, the sender's domain on the right). */
export function messageIdFor(outboxId: string, from: MailAddress): string {
  if (!isOutboxId(outboxId)) throw new Error('outboxId: must be a UUID');
  const domain = from.address.slice(from.address.lastIndexOf('@') + 1);
  return `<${outboxId.toLowerCase()}@${domain}>`;
}

/** nodemailer's message options: address objects, the stable Message-ID, no access to files or URLs. */
export function messageOptions(mail: OutgoingMail, from: MailAddress): SendMailOptions {
  return {
    from: { name: from.name, address: from.address },
    to: [{ name: mail.to.name, address: mail.to.address }],
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: messageIdFor(mail.outboxId, from),
    // RFC 3834: a message sent by a program, not a person; auto-responders should not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
    // The content is ours, but a template value must never make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export interface SmtpTransportOptions {
  /** `smtp://` or `smtps://`, credentials included (never logged). */
  readonly url: string;
  readonly from: MailAddress;
  /** Refuse to send unless the connection is TLS (smtps, or STARTTLS on smtp). */
  readonly requireTLS?: boolean;
  /** Connection, greeting and socket-inactivity timeout, each (default 30 s). */
  readonly timeoutMs?: number;
}

/** Sends through an SMTP server; one connection per message (nodemailer's non-pooled transport). */
export function smtpTransport(options: SmtpTransportOptions): MailTransport {
  const timeout = options.timeoutMs ?? 30_000;
  const transporter = nodemailer.createTransport({
    url: options.url,
    requireTLS: options.requireTLS ?? false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // nodemailer's own logger would print envelopes (addresses): ours logs ids and outcomes only.
    logger: false,
    debug: false,
  });
  return {
    name: 'smtp',
    async send(mail) {
      const info = await transporter.sendMail(messageOptions(mail, options.from));
      return { messageId: info.messageId, serverMessageId: info.serverMessageId };
    },
    async close() {
      transporter.close();
    },
  };
}

export interface CaptureTransportOptions {
  /** The folder (created when missing, readable by its owner only): `.data/outbox/` by default. */
  readonly dir: string;
  readonly from: MailAddress;
}

/** What the capture transport writes beside each .eml: enough for a test or a developer to follow a link. */
export interface CapturedMail {
  readonly outboxId: string;
  readonly messageId: string;
  readonly template: string;
  readonly to: string;
  readonly subject: string;
  readonly links: readonly string[];
}

/** Writes `file` whole or not at all: a crash mid-write leaves the previous file (or none), never half of one. */
async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}

/**
 * Writes each message as `<outbox id>.eml` (RFC 5322, as SMTP would carry it) and `<outbox id>.json`
 * (CapturedMail) in `dir`. A second attempt at the same row overwrites the same two files: the folder holds
 * each message once, however often it was delivered.
 */
export function captureTransport(options: CaptureTransportOptions): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    name: 'capture',
    async send(mail) {
      const messageId = messageIdFor(mail.outboxId, options.from);
      const info = await transporter.sendMail(messageOptions(mail, options.from));
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const base = path.join(options.dir, mail.outboxId.toLowerCase());
      const captured: CapturedMail = {
        outboxId: mail.outboxId,
        messageId,
        template: mail.template,
        to: mail.to.address,
        subject: mail.subject,
        links: mail.links,
      };
      await writeAtomically(`${base}.eml`, info.message as Buffer);
      await writeAtomically(`${base}.json`, `${JSON.stringify(captured, null, 2)}\n`);
      return { messageId: info.messageId };
    },
    async close() {
      transporter.close();
    },
  };
}

/**
 * Sends through `primary` and keeps a copy through each of `copies` (development with SMTP_URL: the relay gets
 * the message and `.data/outbox/` keeps it). The primary's result is the delivery's.
 */
export function teeTransport(primary: MailTransport, ...copies: MailTransport[]): MailTransport {
  return {
    name: [primary, ...copies].map((transport) => transport.name).join('+'),
    async send(mail) {
      const sent = await primary.send(mail);
      for (const copy of copies) await copy.send(mail);
      return sent;
    },
    async close() {
      await Promise.all([primary, ...copies].map((transport) => transport.close()));
    },
  };
}
