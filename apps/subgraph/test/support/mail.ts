import type { SMTPServer } from 'smtp-server';
import { queueMail } from '../../src/mail/mail.outbox.js';
import { startTestServer, type TestServer } from './harness.js';

/** A consent confirmation to `to`, as a feature that mails writes it to the outbox. */
export const confirmation = (to: string) =>
  ({
    template: 'consent_confirmation',
    to,
    params: {
      controller: { name: 'Acme Widgets GmbH', contact: 'privacy@acme.example' },
      noticeVersion: '2026-11',
      link: 'https://custos.example/public/consent/confirm?token=tok_abcdefghijklmnop',
      purpose: 'sharing with partners (sale_share)',
      expiresAt: '2026-12-08T21:40:00.000Z',
    },
  }) as const;

/** Polls `check` every 100 ms until it yields a value, for at most `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Writes a message and its job in one transaction, as a feature that mails does; the outbox id. */
export const mailTo = (server: TestServer, to: string): Promise<string> =>
  server.running.orm.em
    .fork()
    .transactional((em) => queueMail(em, server.running.jobs.queue, confirmation(to)));

/**
 * A test server mailing through an SMTP server on loopback `port` (SMTP_TIMEOUT_MS `timeoutMs`), polling and
 * supervising every half second and second, retrying `retryLimit` times a second apart.
 */
export function mailingTestServer(
  port: number,
  options: { readonly retryLimit: number; readonly timeoutMs: number; readonly seedContacts?: number },
): Promise<TestServer> {
  return startTestServer({
    seedContacts: options.seedContacts ?? 0,
    env: {
      JOBS_POLL_MS: '500',
      JOBS_SUPERVISE_SECONDS: '1',
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      SMTP_TIMEOUT_MS: String(options.timeoutMs),
      JOBS_RETRY_LIMIT: String(options.retryLimit),
      JOBS_RETRY_DELAY_SECONDS: '1',
      JOBS_RETRY_DELAY_MAX_SECONDS: '1',
    },
  });
}

/** Closes an SMTP server, if one was started. */
export const closeSmtp = (smtp: SMTPServer | undefined): Promise<void> =>
  new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
