import path from 'node:path';
import { ConfigError, type Env, envReader, isLoopback, type Logger } from '@custos/runtime';
import { canonicalAddress, type MailAddress } from './address.js';
import { DEFAULT_LEASE_MS } from './outbox.js';
import { captureTransport, type MailTransport, smtpTransport, teeTransport } from './transports.js';

/**
 * Mail settings, from the environment (README, "Mail"). Like packages/runtime's config, a bad or missing value is
 * reported by the variable's name and the rule, never the value (SMTP_URL holds a password).
 *
 * - `SMTP_URL` (`smtp://user:pass@host:587` or `smtps://…:465`) and `MAIL_FROM` (a bare address), optional
 *   `MAIL_FROM_NAME`. Production refuses to start without both when a feature that mails is on, and takes
 *   `smtp:` to a host other than this one's loopback only with STARTTLS required.
 * - Development and tests: every message is also written to `MAIL_CAPTURE_DIR` (default `<CUSTOS_DATA_DIR>/outbox`,
 *   i.e. `.data/outbox/` at the repository root) — this is where a developer reads the links. Without SMTP_URL,
 *   the capture folder is the only transport. Production never captures (the files hold addresses and links).
 * - `SMTP_TIMEOUT_MS`: connection, greeting and inactivity timeout of one send (default 30000).
 * - `MAIL_LEASE_SECONDS`: how long a delivery's claim on an outbox row holds before another run may take the row
 *   over (its worker died mid-send): default 300, and always longer than SMTP_TIMEOUT_MS, so that a send still
 *   running is never taken over by a retry (outbox.ts `deliver`, `leaseMs`).
 */
export interface MailConfig {
  readonly smtpUrl: string | undefined;
  readonly from: MailAddress;
  /** STARTTLS required (production, smtp: to a host that is not loopback). */
  readonly requireTLS: boolean;
  /** The capture folder, or undefined when nothing is captured (production). */
  readonly captureDir: string | undefined;
  readonly timeoutMs: number;
  /** MAIL_LEASE_SECONDS in milliseconds: `deliver`'s `leaseMs`. */
  readonly leaseMs: number;
}

export interface MailConfigOptions {
  readonly production: boolean;
  /** CUSTOS_DATA_DIR as resolved by packages/runtime's loadConfig (`.data/` at the repository root). */
  readonly dataDir: string;
  /** A feature that mails is on: production then requires SMTP_URL and MAIL_FROM. */
  readonly mailing: boolean;
}

/** The development sender: `.invalid` (RFC 2606) can never be a real domain. */
export const DEV_MAIL_FROM = 'no-reply@custos.invalid';

/** Reads the mail settings; every problem is named in `problems` (empty when the settings are usable). */
export function readMailConfig(
  env: Env,
  options: MailConfigOptions,
): { readonly config: MailConfig; readonly problems: string[] } {
  const problems: string[] = [];
  const { get, int } = envReader(env, problems);

  const smtpUrl = get('SMTP_URL');
  let requireTLS = false;
  if (smtpUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      problems.push('SMTP_URL: must be a valid URL');
    }
    if (url && url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      problems.push('SMTP_URL: must be a URL with scheme smtp or smtps');
    }
    // Plain smtp: to another host would carry links (and credentials) in clear: require STARTTLS there.
    requireTLS = options.production && url?.protocol === 'smtp:' && !isLoopback(url.hostname);
  } else if (options.production && options.mailing) {
    problems.push('SMTP_URL: required when NODE_ENV=production and a feature that mails is on');
  }

  const fromRaw = get('MAIL_FROM');
  let fromAddress = DEV_MAIL_FROM;
  if (fromRaw !== undefined) {
    try {
      fromAddress = canonicalAddress(fromRaw, 'MAIL_FROM');
    } catch {
      problems.push('MAIL_FROM: must be one bare email address (local-part@domain), without a display name');
    }
  } else if (options.production && options.mailing) {
    problems.push('MAIL_FROM: required when NODE_ENV=production and a feature that mails is on');
  }
  const fromName = get('MAIL_FROM_NAME') ?? '';
  if (fromName.length > 100 || /[\p{Cc}]/u.test(fromName)) {
    problems.push('MAIL_FROM_NAME: must be at most 100 characters, without control characters');
  }

  const captureRaw = get('MAIL_CAPTURE_DIR');
  if (captureRaw !== undefined && options.production) {
    problems.push(
      'MAIL_CAPTURE_DIR: development and tests only; refused in production (it writes addresses)',
    );
  }
  const captureDir = options.production
    ? undefined
    : path.resolve(captureRaw ?? path.join(options.dataDir, 'outbox'));
  const timeoutMs = int('SMTP_TIMEOUT_MS', 30_000, 1_000, 120_000);
  const leaseSeconds = int('MAIL_LEASE_SECONDS', DEFAULT_LEASE_MS / 1000, 2, 86_400);
  // A claim that lapsed while its send still runs lets a retry send the message a second time.
  if (leaseSeconds * 1000 <= timeoutMs) {
    problems.push(
      'MAIL_LEASE_SECONDS: must be longer than SMTP_TIMEOUT_MS (a send still running must not be taken over)',
    );
  }

  return {
    config: {
      smtpUrl,
      from: { name: fromName, address: fromAddress },
      requireTLS,
      captureDir,
      timeoutMs,
      leaseMs: leaseSeconds * 1000,
    },
    problems,
  };
}

/** readMailConfig, throwing runtime's ConfigError when anything is wrong (for a service that reads it alone). */
export function loadMailConfig(env: Env, options: MailConfigOptions): MailConfig {
  const { config, problems } = readMailConfig(env, options);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The transport the settings describe: SMTP when SMTP_URL is set (with a copy in the capture folder outside
 * production), else the capture folder alone. With neither (production without SMTP_URL, mailing off): undefined.
 */
export function createMailTransport(config: MailConfig, logger?: Logger): MailTransport | undefined {
  const capture = config.captureDir
    ? captureTransport({ dir: config.captureDir, from: config.from })
    : undefined;
  const smtp = config.smtpUrl
    ? smtpTransport({
        url: config.smtpUrl,
        from: config.from,
        requireTLS: config.requireTLS,
        timeoutMs: config.timeoutMs,
      })
    : undefined;
  const transport = smtp && capture ? teeTransport(smtp, capture) : (smtp ?? capture);
  logger?.info(
    { transport: transport?.name ?? 'none', captureDir: config.captureDir },
    transport ? 'mail transport' : 'mail transport: none (mail stays queued in the outbox)',
  );
  return transport;
}
