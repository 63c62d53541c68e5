import { randomUUID } from 'node:crypto';
import { PURPOSES } from '@custos/policy';
import { ValidationError } from '@custos/runtime';
import type { Outcome } from './chain.js';

/**
 * Monitoring rules are data (table audit_rule, edited by the privacy officer): each names a kind and its
 * parameters. The audit writer shows every event it stores to the monitor, which keeps sliding windows in memory
 * and raises an alert (table audit_alert) when a rule fires — off the request path, never blocking a request.
 * Windows are per process: a deployment running several instances of a service evaluates them per instance.
 */
export const RULE_KINDS = ['DISTINCT_CONTACTS', 'OFF_HOURS', 'FORBIDDEN_REPEATED'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface DistinctContactsParams {
  readonly limit: number;
  readonly minutes: number;
  readonly purposes?: readonly string[];
}
export interface OffHoursParams {
  readonly timeZone: string;
  readonly start: string;
  readonly end: string;
  /** ISO weekdays that count as working days: 1 = Monday … 7 = Sunday. */
  readonly weekdays: readonly number[];
  readonly purposes: readonly string[];
}
export interface ForbiddenRepeatedParams {
  readonly limit: number;
  readonly minutes: number;
}

export type RuleParams = DistinctContactsParams | OffHoursParams | ForbiddenRepeatedParams;

export interface Rule {
  readonly id: string;
  readonly kind: RuleKind;
  readonly params: RuleParams;
  readonly enabled: boolean;
}

export interface Alert {
  readonly id: string;
  readonly ruleId: string;
  readonly kind: RuleKind;
  readonly actorSub: string;
  readonly purpose: string | null;
  readonly firedAt: Date;
  readonly details: Record<string, unknown>;
}

/** What the monitor needs of an event. */
export interface ObservedEvent {
  readonly actorSub: string;
  readonly purpose: string | null;
  readonly occurredAt: Date;
  readonly outcome: Outcome;
  readonly pseudonyms: readonly string[];
  /** How many refusals an aggregated refusal event stands for (refusals.ts); 1 for any other event. */
  readonly count?: number;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Checks a rule's parameters for its kind; BAD_USER_INPUT naming each problem. */
export function parseRuleParams(kind: RuleKind, raw: unknown): RuleParams {
  const problems: { field: string; rule: string; message: string }[] = [];
  const p = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const int = (name: string, min: number, max: number) => {
    const value = p[name];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      problems.push({ field: name, rule: 'range', message: `must be a whole number from ${min} to ${max}` });
    }
    return value as number;
  };
  const purposes = (required: boolean) => {
    const value = p.purposes;
    if (value === undefined || value === null) {
      if (required) problems.push({ field: 'purposes', rule: 'required', message: 'is required' });
      return undefined;
    }
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      !value.every((v) => (PURPOSES as readonly unknown[]).includes(v))
    ) {
      problems.push({
        field: 'purposes',
        rule: 'oneOf',
        message: `must list purposes of ${PURPOSES.join(', ')}`,
      });
    }
    return value as string[];
  };
  let params: RuleParams;
  if (kind === 'DISTINCT_CONTACTS') {
    const chosen = purposes(false);
    params = {
      limit: int('limit', 1, 1_000_000),
      minutes: int('minutes', 1, 1440),
      ...(chosen ? { purposes: chosen } : {}),
    };
  } else if (kind === 'FORBIDDEN_REPEATED') {
    params = { limit: int('limit', 1, 10_000), minutes: int('minutes', 1, 1440) };
  } else {
    const timeZone = p.timeZone;
    if (typeof timeZone !== 'string' || !validTimeZone(timeZone)) {
      problems.push({
        field: 'timeZone',
        rule: 'timeZone',
        message: 'must be an IANA time zone, e.g. Europe/Berlin',
      });
    }
    for (const name of ['start', 'end']) {
      if (typeof p[name] !== 'string' || !HHMM.test(p[name] as string)) {
        problems.push({ field: name, rule: 'time', message: 'must be a time of day HH:MM' });
      }
    }
    if (typeof p.start === 'string' && typeof p.end === 'string' && p.start >= p.end) {
      problems.push({ field: 'end', rule: 'after', message: 'must be after start' });
    }
    const weekdays = p.weekdays;
    if (!Array.isArray(weekdays) || !weekdays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
      problems.push({
        field: 'weekdays',
        rule: 'weekdays',
        message: 'must list ISO weekdays from 1 (Monday) to 7',
      });
    }
    params = {
      timeZone: timeZone as string,
      start: p.start as string,
      end: p.end as string,
      weekdays: [...new Set(weekdays as number[])].sort(),
      purposes: purposes(true) ?? [],
    };
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return params;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
interface LocalClock {
  readonly format: Intl.DateTimeFormat;
  /** The minute (ms since the epoch / 60,000) last asked for, and its answer. */
  minute: number;
  local: { readonly weekday: number; readonly time: string };
}
const clocks = new Map<string, LocalClock>();

/**
 * The local ISO weekday and HH:MM of `at` in `timeZone`. Events come in time order, many per minute: the answer of
 * the last minute asked for is kept per zone (offsets change on whole minutes), so formatting runs once a minute.
 */
export function localTime(at: Date, timeZone: string): { weekday: number; time: string } {
  let clock = clocks.get(timeZone);
  if (!clock) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    clock = { format, minute: Number.NaN, local: { weekday: 0, time: '' } };
    clocks.set(timeZone, clock);
  }
  const minute = Math.floor(at.getTime() / 60_000);
  if (minute !== clock.minute) {
    const parts = Object.fromEntries(clock.format.formatToParts(at).map((part) => [part.type, part.value]));
    clock.local = { weekday: WEEKDAY[parts.weekday ?? ''] ?? 0, time: `${parts.hour}:${parts.minute}` };
    clock.minute = minute;
  }
  return { ...clock.local };
}

/** Sliding windows of every enabled rule, per actor. */
export class Monitor {
  private rules: Rule[] = [];
  /** rule → actor → pseudonym → last seen (ms). */
  private readonly distinct = new Map<string, Map<string, Map<string, number>>>();
  /** rule → actor → refusals (FORBIDDEN, UNAUTHENTICATED) by time: [ms, how many]. */
  private readonly refusals = new Map<string, Map<string, [number, number][]>>();
  /** rule/actor/purpose → ms until which the rule does not fire again for them. */
  private readonly quiet = new Map<string, number>();

  setRules(rules: readonly Rule[]): void {
    this.rules = rules.filter((rule) => rule.enabled);
    const ids = new Set(this.rules.map((rule) => rule.id));
    for (const windows of [this.distinct, this.refusals]) {
      for (const id of windows.keys()) if (!ids.has(id)) windows.delete(id);
    }
  }

  /** The alerts this event raises (usually none). */
  observe(event: ObservedEvent): Alert[] {
    const alerts: Alert[] = [];
    const now = event.occurredAt.getTime();
    for (const rule of this.rules) {
      const key = `${rule.id}\u0000${event.actorSub}`;
      const quietUntil = this.quiet.get(key) ?? 0;
      if (rule.kind === 'DISTINCT_CONTACTS') {
        const params = rule.params as DistinctContactsParams;
        if (event.pseudonyms.length === 0) continue;
        if (params.purposes && !params.purposes.includes(event.purpose ?? '')) continue;
        if (now < quietUntil) continue;
        const byActor = mapOf(this.distinct, rule.id);
        const seen = byActor.get(event.actorSub) ?? new Map<string, number>();
        byActor.set(event.actorSub, seen);
        for (const pseudonym of event.pseudonyms) seen.set(pseudonym, now);
        if (seen.size <= params.limit) continue;
        const since = now - params.minutes * 60_000;
        for (const [pseudonym, at] of seen) if (at < since) seen.delete(pseudonym);
        if (seen.size <= params.limit) continue;
        alerts.push(
          this.fire(rule, event, {
            distinctContacts: seen.size,
            limit: params.limit,
            minutes: params.minutes,
          }),
        );
        byActor.delete(event.actorSub);
        this.quiet.set(key, now + params.minutes * 60_000);
      } else if (rule.kind === 'FORBIDDEN_REPEATED') {
        const params = rule.params as ForbiddenRepeatedParams;
        // Refused operations, and refused requests (aggregated per window: each counts as many as it stands for).
        const refused = event.outcome === 'FORBIDDEN' || event.outcome === 'UNAUTHENTICATED';
        if (!refused || now < quietUntil) continue;
        const byActor = mapOf(this.refusals, rule.id);
        const since = now - params.minutes * 60_000;
        const times = (byActor.get(event.actorSub) ?? []).filter(([at]) => at >= since);
        times.push([now, event.count ?? 1]);
        byActor.set(event.actorSub, times);
        const total = times.reduce((sum, [, n]) => sum + n, 0);
        if (total < params.limit) continue;
        alerts.push(
          this.fire(rule, event, { refusals: total, limit: params.limit, minutes: params.minutes }),
        );
        byActor.delete(event.actorSub);
        this.quiet.set(key, now + params.minutes * 60_000);
      } else {
        const params = rule.params as OffHoursParams;
        if (!event.purpose || !params.purposes.includes(event.purpose)) continue;
        const purposeKey = `${key}\u0000${event.purpose}`;
        if (now < (this.quiet.get(purposeKey) ?? 0)) continue;
        const local = localTime(event.occurredAt, params.timeZone);
        const working =
          params.weekdays.includes(local.weekday) && local.time >= params.start && local.time < params.end;
        if (working) continue;
        alerts.push(
          this.fire(rule, event, {
            localTime: local.time,
            weekday: local.weekday,
            timeZone: params.timeZone,
          }),
        );
        // One alert per actor and purpose per hour: the officer needs to know it happens, not every request.
        this.quiet.set(purposeKey, now + 3_600_000);
      }
    }
    return alerts;
  }

  private fire(rule: Rule, event: ObservedEvent, details: Record<string, unknown>): Alert {
    return {
      id: randomUUID(),
      ruleId: rule.id,
      kind: rule.kind,
      actorSub: event.actorSub,
      purpose: event.purpose,
      firedAt: event.occurredAt,
      details,
    };
  }
}

function mapOf<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}
