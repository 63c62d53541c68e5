import path from 'node:path';
import { ConfigError } from '@custos/runtime';
import { describe, expect, it } from 'vitest';
import { createMailTransport, DEV_MAIL_FROM, loadMailConfig, readMailConfig } from '../src/config.js';

/** Mail settings: production refuses to start without SMTP when something mails; problems name the variable only. */
const DATA = path.resolve('/tmp/custos-data');
const production = { production: true, dataDir: DATA, mailing: true };
const development = { production: false, dataDir: DATA, mailing: true };

describe('mail configuration', () => {
  it('production with mailing on needs SMTP_URL and MAIL_FROM', () => {
    expect(readMailConfig({}, production).problems).toEqual([
      'SMTP_URL: required when NODE_ENV=production and a feature that mails is on',
      'MAIL_FROM: required when NODE_ENV=production and a feature that mails is on',
    ]);
    expect(() => loadMailConfig({}, production)).toThrow(ConfigError);
  });

  it('production with mailing off needs neither, and has no transport', () => {
    const { config, problems } = readMailConfig({}, { ...production, mailing: false });
    expect(problems).toEqual([]);
    expect(config.captureDir).toBeUndefined();
    expect(createMailTransport(config)).toBeUndefined();
  });

  it('production: SMTP only, STARTTLS required off loopback, no capture folder', () => {
    const config = loadMailConfig(
      { SMTP_URL: 'smtp://user:s3cret@relay.example:587', MAIL_FROM: 'privacy@Acme.EXAMPLE' },
      production,
    );
    expect(config).toMatchObject({
      smtpUrl: 'smtp://user:s3cret@relay.example:587',
      from: { name: '', address: 'privacy@acme.example' },
      requireTLS: true,
      captureDir: undefined,
    });
    expect(createMailTransport(config)?.name).toBe('smtp');
    const local = loadMailConfig(
      { SMTP_URL: 'smtp://127.0.0.1:25', MAIL_FROM: 'a@acme.example' },
      production,
    );
    expect(local.requireTLS).toBe(false);
    expect(
      readMailConfig(
        { MAIL_CAPTURE_DIR: '/tmp/x', SMTP_URL: 'smtps://relay.example', MAIL_FROM: 'a@b.example' },
        production,
      ).problems,
    ).toEqual(['MAIL_CAPTURE_DIR: development and tests only; refused in production (it writes addresses)']);
  });

  it('development captures under <data dir>/outbox, alone or beside SMTP', () => {
    const alone = loadMailConfig({}, development);
    expect(alone).toMatchObject({
      smtpUrl: undefined,
      from: { address: DEV_MAIL_FROM },
      captureDir: path.join(DATA, 'outbox'),
    });
    expect(createMailTransport(alone)?.name).toBe('capture');
    const both = loadMailConfig(
      { SMTP_URL: 'smtp://localhost:2525', MAIL_CAPTURE_DIR: '/tmp/elsewhere' },
      development,
    );
    expect(both.captureDir).toBe('/tmp/elsewhere');
    expect(createMailTransport(both)?.name).toBe('smtp+capture');
  });

  it('bad values are named by variable and rule, never echoed', () => {
    const { problems } = readMailConfig(
      {
        SMTP_URL: 'http://user:hunter2@relay.example',
        MAIL_FROM: 'Privacy Team <privacy@acme.example>',
        MAIL_FROM_NAME: 'x\ny',
        SMTP_TIMEOUT_MS: '5',
      },
      production,
    );
    expect(problems).toEqual([
      'SMTP_URL: must be a URL with scheme smtp or smtps',
      'MAIL_FROM: must be one bare email address (local-part@domain), without a display name',
      'MAIL_FROM_NAME: must be at most 100 characters, without control characters',
      'SMTP_TIMEOUT_MS: must be a whole number from 1000 to 120000',
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter2|Privacy Team|acme/);
    expect(readMailConfig({ SMTP_URL: 'not a url hunter2' }, development).problems).toEqual([
      'SMTP_URL: must be a valid URL',
    ]);
  });

  it('MAIL_LEASE_SECONDS: 5 minutes by default, taken in whole seconds, and always longer than SMTP_TIMEOUT_MS', () => {
    expect(loadMailConfig({}, development)).toMatchObject({ timeoutMs: 30_000, leaseMs: 300_000 });
    expect(loadMailConfig({ MAIL_LEASE_SECONDS: '12', SMTP_TIMEOUT_MS: '10000' }, development)).toMatchObject(
      {
        timeoutMs: 10_000,
        leaseMs: 12_000,
      },
    );
    const longer =
      'MAIL_LEASE_SECONDS: must be longer than SMTP_TIMEOUT_MS (a send still running must not be taken over)';
    // Equal is not longer: the send may still be running when the claim lapses.
    expect(
      readMailConfig({ MAIL_LEASE_SECONDS: '10', SMTP_TIMEOUT_MS: '10000' }, development).problems,
    ).toEqual([longer]);
    // Shorter than the default timeout (30 s).
    expect(readMailConfig({ MAIL_LEASE_SECONDS: '20' }, development).problems).toEqual([longer]);
    expect(readMailConfig({ MAIL_LEASE_SECONDS: '1.5' }, development).problems).toEqual([
      'MAIL_LEASE_SECONDS: must be a whole number from 2 to 86400',
    ]);
    expect(readMailConfig({ MAIL_LEASE_SECONDS: '90000' }, development).problems).toEqual([
      'MAIL_LEASE_SECONDS: must be a whole number from 2 to 86400',
    ]);
  });
});
