import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '@custos/runtime';
import {
  ForbiddenError,
  type RefusalSink,
  type RefusedRequest,
  type UnauthenticatedError,
} from '@custos/runtime';
import { AuditUnavailable } from './buffer.js';
import type { AuditEventInput, AuditWriter } from './writer.js';

export interface RefusalLogOptions {
  /** Keys the HMAC of client addresses (a 401 has no other actor): never the address itself. */
  readonly hmacKey: Buffer;
  readonly logger: Logger;
  /** One event per key per window. */
  readonly windowMs?: number;
  /** Distinct keys per window; refusals beyond them are counted in one overflow event per kind. */
  readonly maxKeys?: number;
}

interface Aggregate {
  readonly kind: 'UNAUTHENTICATED' | 'FORBIDDEN';
  readonly actor: string;
  readonly roles: readonly string[];
  readonly purpose: string | null;
  readonly reason: string;
  readonly first: Date;
  last: Date;
  count: number;
  readonly requestId: string;
  readonly gatewayRequestId: string | null;
}

/** The actor of the refusals that came after a window's distinct keys ran out. */
export const OVERFLOW_ACTOR = 'refusals:overflow';
/** Prefix of a 401's actor: the keyed hash of the client address. */
export const CLIENT_ACTOR_PREFIX = 'client:';

/**
 * Refused requests (HTTP 401 and 403) in the audit trail, aggregated so that a flood of them can fill neither the
 * audit buffer nor the table: one event per (kind, actor, purpose, reason) per window, with how many refusals it
 * stands for (`refusals`) and the last one's time. The actor of a 403 is the token's subject (its roles and the
 * declared purpose beside it); a 401 has no verified subject, so its actor is `client:` and an HMAC of the client
 * address under a server secret (GDPR Art 32: no address is stored, and without the key none can be recovered by
 * trying every IPv4 address). Memory is bounded: at most `maxKeys` keys per window, then one overflow key per
 * kind. A window's events go to the writer when it ends, and on every flush and on close.
 */
export class RefusalLog implements RefusalSink {
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private window = new Map<string, Aggregate>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly writer: AuditWriter,
    private readonly options: RefusalLogOptions,
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 1_000;
    this.timer = setInterval(() => this.roll(), this.windowMs);
    this.timer.unref();
    writer.beforeFlush(() => this.roll());
  }

  /** Distinct keys held for the current window (tests: the bound). */
  get size(): number {
    return this.window.size;
  }

  /** Notes one refusal of `req` (never throws: a refusal is answered whatever happens here). */
  record(req: IncomingMessage, error: UnauthenticatedError | ForbiddenError, request?: RefusedRequest): void {
    const now = new Date();
    let entry: Omit<Aggregate, 'first' | 'last' | 'count' | 'requestId' | 'gatewayRequestId'>;
    if (error instanceof ForbiddenError && error.caller) {
      const { sub, roles, purpose } = error.caller;
      entry = { kind: 'FORBIDDEN', actor: sub.slice(0, 200), roles, purpose, reason: error.reason };
    } else {
      entry = {
        kind: error instanceof ForbiddenError ? 'FORBIDDEN' : 'UNAUTHENTICATED',
        actor: this.clientActor(req),
        roles: [],
        purpose: null,
        reason: error.reason,
      };
    }
    let key = [entry.kind, entry.actor, entry.purpose ?? '', entry.reason].join('\u0000');
    if (!this.window.has(key) && this.window.size >= this.maxKeys) {
      // Beyond the bound: one bucket per kind, whoever it was.
      entry = { kind: entry.kind, actor: OVERFLOW_ACTOR, roles: [], purpose: null, reason: 'OVERFLOW' };
      key = `${entry.kind}\u0000overflow`;
    }
    const known = this.window.get(key);
    if (known) {
      known.count += 1;
      known.last = now;
      return;
    }
    this.window.set(key, {
      ...entry,
      first: now,
      last: now,
      count: 1,
      // The stored columns hold 100 characters (a gateway may pass a client's id on).
      requestId: (request?.id ?? '').slice(0, 100),
      gatewayRequestId: request?.upstreamId?.slice(0, 100) ?? null,
    });
  }

  /** Ends the window: its aggregates go to the writer (which may make them wait for room, never drops them). */
  roll(): void {
    if (this.window.size === 0) return;
    const ended = this.window;
    this.window = new Map();
    for (const a of ended.values()) {
      const event: AuditEventInput = {
        occurredAt: a.first,
        actorSub: a.actor,
        actorRoles: a.roles,
        purpose: a.purpose,
        operationType: 'request',
        operationName: null,
        rootFields: [],
        requestId: a.requestId,
        gatewayRequestId: a.gatewayRequestId,
        outcome: a.kind,
        subjects: new Map(),
        refusalReason: a.reason,
        refusals: a.count,
        lastRefusedAt: a.last,
      };
      this.writer.submit(event)?.catch((error: unknown) => {
        // Counts only: the event names a staff member or a client hash.
        this.options.logger.error(
          { refusals: a.count, errorName: error instanceof AuditUnavailable ? error.name : 'unknown' },
          'refused requests could not be audited',
        );
      });
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.roll();
  }

  private clientActor(req: IncomingMessage): string {
    const address = (req.socket?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const hash = createHmac('sha256', this.options.hmacKey).update(address).digest('hex').slice(0, 32);
    return `${CLIENT_ACTOR_PREFIX}${hash}`;
  }
}
