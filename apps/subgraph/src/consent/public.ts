import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import type { AuditWriter } from '@custos/audit';
import { enqueueAuditEvent } from '@custos/audit';
import { query } from '@custos/database';
import { type ConsentStatus, GPC_REFUSED_PURPOSES, PURPOSE_DEFINITIONS, type Purpose } from '@custos/policy';
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
import { appendConsentEvent, checkConsentInput, type Recorder } from './consent.ledger.js';

/** Purposes a person can consent to on a form: those whose lawful basis is consent. */
const CONSENT_PURPOSES = (Object.keys(PURPOSE_DEFINITIONS) as Purpose[]).filter(
  (purpose) => PURPOSE_DEFINITIONS[purpose].lawfulBasis === 'consent',
);
const FORM_STATUSES: readonly ConsentStatus[] = ['GRANTED', 'DENIED', 'WITHDRAWN'];
/** Who recorded a choice made by the person themself. */
export const DATA_SUBJECT = 'data-subject';

/**
 * `POST /public/consent`: consent capture from the company's own forms, without a staff token (a data-subject
 * endpoint, rate-limited per client address). Body: `{ email, purpose, status, noticeVersion, source }` for a
 * consent-based purpose. The answer is 202 for every valid request, whether or not the email belongs to a contact,
 * so that the endpoint tells nobody who is in the CRM; the choice is recorded for each live contact with that
 * email. With `Sec-GPC: 1` (Global Privacy Control, CCPA) a refusal of each purpose the policy's GPC_REFUSES marks
 * (sale_share) is recorded too, method GPC — and a grant of such a purpose on the same form is not recorded: the
 * signal wins over the form.
 */
export function publicConsentRoute(options: {
  readonly orm: MikroORM;
  readonly secrets: Secrets;
  readonly logger: Logger;
  /** The shared budget per client address (every instance counts in one table). */
  readonly limiter: RateLimit;
  /** Proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES). */
  readonly trustedProxies: BlockList;
  /** The audit trail: a data subject's consent is a privacy operation, audited like the staff's. */
  readonly audit?: AuditWriter;
}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    if (req.method !== 'POST') {
      sendJson(res, 405, errorBody('Use POST', 'METHOD_NOT_ALLOWED'), { allow: 'POST' });
      return 405;
    }
    const client = clientAddress(req, options.trustedProxies);
    const wait = await options.limiter.take(client);
    if (wait > 0) {
      sendJson(res, 429, errorBody('Too many requests: try again later', 'RATE_LIMITED'), {
        'retry-after': String(wait),
      });
      return 429;
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse((await readBody(req, 16_384)).toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new SyntaxError('not an object');
      body = parsed as Record<string, unknown>;
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        sendJson(res, 413, errorBody('Request body is larger than 16384 bytes', 'BODY_TOO_LARGE'), {
          connection: 'close',
        });
        return 413;
      }
      sendJson(res, 400, errorBody('Request body must be a JSON object', 'BAD_REQUEST'));
      return 400;
    }
    const now = new Date();
    const em = options.orm.em.fork();
    const v = new Validator();
    const email = v.email('email', typeof body.email === 'string' ? body.email : undefined, true);
    const purpose = body.purpose;
    if (typeof purpose !== 'string' || !(CONSENT_PURPOSES as string[]).includes(purpose)) {
      v.fail('purpose', 'one_of', `must be one of ${CONSENT_PURPOSES.join(', ')}`);
    }
    const status = body.status as ConsentStatus;
    if (!FORM_STATUSES.includes(status))
      v.fail('status', 'one_of', `must be one of ${FORM_STATUSES.join(', ')}`);
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    try {
      v.done();
      const evidence = {
        source: text(body.source) ?? null,
        userAgent: header(req, 'user-agent')?.slice(0, 500) ?? null,
        ip: client === 'unknown' ? null : client,
      };
      const form = {
        purpose: purpose as string,
        status,
        method: 'WEB_FORM' as const,
        noticeVersion: text(body.noticeVersion) ?? null,
        evidence,
      };
      // Everything about the input is checked before anyone is looked up: the answer never depends on whether the
      // email is known.
      await checkConsentInput(em, { ...form, contactId: '' }, now);
      const contacts = await query<{ id: string }>(
        em,
        'select id from contact where lower(email) = lower($1) and erased_at is null',
        [email],
      );
      const gpc = header(req, 'sec-gpc') === '1';
      // Which purposes the signal refuses is the policy's (GPC_REFUSES), not this endpoint's.
      const refused: readonly Purpose[] = gpc ? GPC_REFUSED_PURPOSES : [];
      const recorder: Recorder = {
        purpose: null,
        actor: DATA_SUBJECT,
        hmacKey: options.secrets.consentHmacKey,
        now,
      };
      // The consents and their audit event commit together (the audit outbox): a recorded consent always has
      // its event, whatever happens to the process after the commit.
      await em.transactional(async (tx) => {
        for (const { id } of contacts) {
          if (!(form.status === 'GRANTED' && (refused as string[]).includes(form.purpose))) {
            await appendConsentEvent(tx, { ...form, contactId: id }, recorder);
          }
          for (const purpose of refused) {
            await appendConsentEvent(
              tx,
              { contactId: id, purpose, status: 'DENIED', method: 'GPC', evidence },
              recorder,
            );
          }
        }
        if (contacts.length > 0 && options.audit) {
          await enqueueAuditEvent((sql, params) => query(tx, sql, params), options.audit.service, {
            occurredAt: now,
            actorSub: DATA_SUBJECT,
            actorRoles: [],
            purpose: null,
            operationType: 'public',
            operationName: gpc ? 'publicConsent+GPC' : 'publicConsent',
            rootFields: ['POST /public/consent'],
            requestId: String(res.getHeader('x-request-id') ?? ''),
            gatewayRequestId: null,
            outcome: 'OK',
            subjects: new Map(
              contacts.map(({ id }) => [id, { channel: 'MUTATION', revealed: 0, redacted: 0 }]),
            ),
          });
        }
      });
      if (contacts.length > 0) options.audit?.pendingCommitted();
      sendJson(res, 202, { status: 'accepted' });
      return 202;
    } catch (error) {
      if (error instanceof ValidationError) {
        sendJson(res, 400, {
          errors: [
            { message: error.message, extensions: { code: 'BAD_USER_INPUT', problems: error.problems } },
          ],
        });
        return 400;
      }
      options.logger.error(
        { errorName: error instanceof Error ? error.name : 'unknown' },
        'public consent failed',
      );
      sendJson(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      return 500;
    }
  };
}
