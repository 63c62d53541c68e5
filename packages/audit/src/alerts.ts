import type { Logger } from '@custos/runtime';
import type { PoolClient } from 'pg';
import { type Alert, Monitor, parseRuleParams, type Rule, type RuleKind } from './monitor.js';
import { Slices } from './slices.js';
import type { PreparedEvent } from './store.js';

const RULES_REFRESH_MS = 30_000;

/**
 * The monitor as a writer runs it: its rules read from audit_rule (every 30 s, and at the first batch after an
 * edit commits), shown every event once it is stored, and the alerts it raises held until the writer's next
 * transaction stores them (store.ts: `insertAlerts`).
 */
export class AlertQueue {
  readonly monitor = new Monitor();
  private alerts: Alert[] = [];
  private rulesLoadedAt = 0;
  /** A rule was edited by a mutation not yet committed (rulesChanged, committed). */
  private rulesEdited = false;

  constructor(private readonly logger: Logger) {}

  /** The alerts raised and not yet stored. */
  get queued(): readonly Alert[] {
    return this.alerts;
  }

  /** `alerts` (some of {@link queued}) were stored. */
  stored(alerts: readonly Alert[]): void {
    this.alerts = this.alerts.filter((alert) => !alerts.includes(alert));
  }

  /** A mutation that may have edited a rule is not committed yet: reload the rules after {@link committed}. */
  rulesChanged(): void {
    this.rulesEdited = true;
  }

  /** A mutation committed: a rule it edited is read again now (not by a batch before the commit). */
  committed(): void {
    if (this.rulesEdited) {
      this.rulesEdited = false;
      this.rulesLoadedAt = 0;
    }
  }

  /** Reads the rules again when they are due, in the batch's transaction. */
  async refreshRules(client: PoolClient): Promise<void> {
    if (Date.now() - this.rulesLoadedAt > RULES_REFRESH_MS) await this.loadRules(client);
  }

  /** The monitor sees what was stored; its alerts are written with the next transaction, soon. */
  async observe(prepared: readonly PreparedEvent[]): Promise<void> {
    const slices = new Slices();
    for (let at = 0; at < prepared.length; at++) {
      await slices.next();
      const { record: r, sets } = prepared[at]!;
      const alerts = this.monitor.observe({
        actorSub: r.actorSub,
        purpose: r.purpose,
        occurredAt: new Date(r.occurredAt),
        outcome: r.outcome,
        pseudonyms: sets.length === 1 ? sets[0]![1] : sets.flatMap(([, subjects]) => subjects),
        count: r.refusals ?? 1,
      });
      for (const alert of alerts) {
        this.logger.warn({ rule: alert.ruleId, kind: alert.kind }, 'audit monitoring rule fired');
      }
      this.alerts.push(...alerts);
    }
  }

  private async loadRules(client: PoolClient): Promise<void> {
    const { rows } = await client.query<{ id: string; kind: RuleKind; params: unknown; enabled: boolean }>(
      'select id, kind, params, enabled from audit_rule',
    );
    const rules: Rule[] = [];
    for (const row of rows) {
      try {
        rules.push({
          id: row.id,
          kind: row.kind,
          params: parseRuleParams(row.kind, row.params),
          enabled: row.enabled,
        });
      } catch {
        this.logger.warn({ rule: row.id }, 'audit monitoring rule has invalid parameters; skipped');
      }
    }
    this.monitor.setRules(rules);
    this.rulesLoadedAt = Date.now();
  }
}
