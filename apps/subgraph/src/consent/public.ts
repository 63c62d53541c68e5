import { createHmac } from 'node:crypto';
import type { BlockList } from 'node:net';
import { canonicalAddress, type MailAddress } from '@custos/mail';
import { type ConsentStatus, PURPOSE_DEFINITIONS, type Purpose } from '@custos/policy';
import type { Logger, RateLimit } from '@custos/runtime';
import {
  BodyTooLarge,
  clientAddress,
  errorBody,
  header,
  readBody,
  sendJson,
  ValidationError,
  Validator,
} from '@custos/runtime';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Secrets } from '../context.js';
import type { SubgraphJobs } from '../jobs/queues.js';
import { badInput, methodNotAllowed, type RouteHandler, readJsonObject } from '../routes.js';
import { type ConfirmationDeps, checkToken, type TokenCheck } from './consent.confirmations.js';
import { checkConsentInput } from './consent.ledger.js';
import { type Submission, storeSubmission } from './consent.submissions.js';
import { confirmationPage } from './public.pages.js';

/** Purposes a person can consent to on a form: those whose lawful basis is consent. */
const CONSENT_PURPOSES = (Object.keys(PURPOSE_DEFINITIONS) as Purpose[]).filter(
  (purpose) => PURPOSE_DEFINITIONS[purpose].lawfulBasis === 'consent',
);
const FORM_STATUSES = ['GRANTED', 'DENIED', 'WITHDRAWN'] as const satisfies readonly ConsentStatus[];
const MAX_BODY = 16_384;

export interface PublicRouteOptions {
  readonly orm: MikroORM;
  readonly secrets: Secrets;
  readonly logger: Logger;
  /** The shared budget per client address (every instance counts in one table). */
  readonly limiter: RateLimit;
  /** Proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES). */
  readonly trustedProxies: BlockList;
  /** Where submissions go: the `consent.submission` job looks the email up. */
  readonly jobs: SubgraphJobs;
}

type Handler = RouteHandler;

/** The rate limit, then `handle`; an unexpected error is a plain 500 that names nothing. */
function limited(options: PublicRouteOptions, what: string, handle: (client: string) => Handler): Handler {
  return async (req, res) => {
    const client = clientAddress(req, options.trustedProxies);
    const wait = await options.limiter.take(client);
    if (wait > 0) {
      sendJson(res, 429, errorBody('Too many requests: try again later', 'RATE_LIMITED'), {
        'retry-after': String(wait),
      });
      return 429;
    }
    try {
      return await handle(client)(req, res);
    } catch (error) {
      options.logger.error({ errorName: error instanceof Error ? error.name : 'unknown' }, `${what} failed`);
      if (!res.headersSent) sendJson(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      return 500;
    }
  };
}

/**
 * `POST /public/consent`: consent capture from the company's own forms, without a staff token (a data-subject
 * endpoint, rate-limited per client address). Body: `{ email, purpose, status, noticeVersion, source }` for a
 * consent-based purpose; `Sec-GPC: 1` (Global Privacy Control) is honoured.
 *
 * The endpoint answers before, and independently of, looking anyone up: it validates, stores the submission and
 * its job in one transaction, and answers 202 — the same answer, with the same work behind it, for an email in
 * the CRM and for one that is not. The `consent.submission` job then looks the email up: a grant is mailed for
 * confirmation (double opt-in: nothing is recorded until the person opens the link), a refusal, withdrawal or
 * GPC signal is recorded at once as an unverified public signal (consent.submissions.ts).
 */
export function publicConsentRoute(options: PublicRouteOptions): Handler {
  return limited(options, 'public consent', (client) => async (req, res) => {
    if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
    const body = await readJsonObject(req, res, MAX_BODY);
    if (typeof body === 'number') return body;
    const now = new Date();
    const v = new Validator();
    let email = '';
    try {
      email = canonicalAddress(body.email as string, 'email');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const problem of error.problems) v.fail(problem.field, problem.rule, problem.message);
    }
    const purpose = body.purpose;
    if (typeof purpose !== 'string' || !(CONSENT_PURPOSES as string[]).includes(purpose)) {
      v.fail('purpose', 'one_of', `must be one of ${CONSENT_PURPOSES.join(', ')}`);
    }
    const status = body.status as Submission['status'];
    if (!FORM_STATUSES.includes(status))
      v.fail('status', 'one_of', `must be one of ${FORM_STATUSES.join(', ')}`);
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const source = v.text('source', text(body.source), { max: 200 }) ?? null;
    const userAgent = header(req, 'user-agent')?.slice(0, 500) ?? null;
    const noticeVersion = text(body.noticeVersion) ?? null;
    const em = options.orm.em.fork();
    try {
      v.done();
      // The ledger's own rules (a grant names a published notice), checked before anything is stored: a
      // submission the job could not record is refused now, for a known and an unknown email alike.
      await checkConsentInput(
        em,
        {
          contactId: '',
          purpose: purpose as string,
          status,
          method: 'WEB_FORM',
          noticeVersion,
          evidence: { source: source ?? 'public consent form', userAgent },
        },
        now,
      );
    } catch (error) {
      if (error instanceof ValidationError) return badInput(res, error);
      throw error;
    }
    const submission: Submission = {
      email,
      purpose: purpose as Purpose,
      status,
      noticeVersion,
      source,
      userAgent,
      ipHmac:
        client === 'unknown'
          ? null
          : createHmac('sha256', options.secrets.consentHmacKey).update(client).digest('hex'),
      gpc: header(req, 'sec-gpc') === '1',
      receivedAt: now,
      requestId: String(res.getHeader('x-request-id') ?? '') || null,
    };
    await em.transactional((tx) => storeSubmission(tx, options.jobs, submission));
    sendJson(res, 202, { status: 'accepted' });
    return 202;
  });
}

/**
 * `GET /public/consent/confirm?token=…`: what the link in a confirmation mail opens — a plain page that shows what
 * would be confirmed, with a button; `POST` (form-encoded `token`) confirms. An expired, used, cancelled, locked
 * or unknown token gets a plain page saying so and what to do, and nothing is recorded.
 */
export function confirmConsentRoute(
  options: PublicRouteOptions & {
    readonly maxAttempts: number;
    readonly auditService: string | undefined;
    /** MAIL_FROM: the confirmation mails' Message-IDs are derived from it (the receipt names the one sent). */
    readonly mailFrom: MailAddress;
  },
): Handler {
  const deps: ConfirmationDeps = {
    orm: options.orm,
    hmacKey: options.secrets.consentHmacKey,
    maxAttempts: options.maxAttempts,
    auditService: options.auditService,
    mailFrom: options.mailFrom,
  };
  return limited(options, 'consent confirmation', () => async (req, res) => {
    const requestId = String(res.getHeader('x-request-id') ?? '');
    let check: TokenCheck;
    let token: string | null = null;
    if (req.method === 'GET' || req.method === 'HEAD') {
      token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
      check = await checkToken(deps, token, { confirm: false, now: new Date(), requestId });
    } else if (req.method === 'POST') {
      try {
        token = new URLSearchParams((await readBody(req, 1024)).toString('utf8')).get('token');
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
      }
      check = await checkToken(deps, token, { confirm: true, now: new Date(), requestId });
    } else {
      return methodNotAllowed(res, 'GET, POST');
    }
    const page = confirmationPage(check, check.state === 'pending' ? (token ?? '') : '');
    res.writeHead(page.status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(page.html),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // The page loads nothing, frames nowhere and posts only to itself; the token never leaves in a Referer.
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
    res.end(req.method === 'HEAD' ? undefined : page.html);
    return page.status;
  });
}
