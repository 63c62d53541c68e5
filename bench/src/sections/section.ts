// A section of the bench: its servers, how they are measured, and its part of the printed summary and the JSON.
import type { Run } from '../context.js';
import type { PairOptions } from '../measure.js';
import type { Row } from '../rows.js';
import type { ServerSpec } from '../servers.js';
import type { ServerName } from '../settings.js';

/** A section's part of the run's result. */
export interface SectionResult {
  /** Its keys in the JSON report, in order. */
  readonly json: Readonly<Record<string, unknown>>;
  /** Its goals (null: not measured): with BENCH_ENFORCE_TARGET=1 every measured one must be met. */
  readonly goals: readonly (boolean | null)[];
}

/** A section while the run measures it: hooks, and its summary once every row is in. */
export interface SectionRun {
  /** How its servers are measured side by side (the audit section tags loads and counts events per case). */
  readonly pairOptions?: PairOptions;
  /**
   * Measures one of its servers itself, instead of the page measurement (measureOne, measurePair): for servers
   * that serve no page (the public endpoint, the mail outbox).
   */
  measure?(name: ServerName): Promise<void>;
  /** After its servers were measured side by side (the consent section records events then). */
  afterPair?(): Promise<void>;
  /** Prints its part of the summary (nothing when it measured nothing) and returns its part of the report. */
  finish(rows: readonly Row[]): SectionResult;
}

export interface Section<Name extends ServerName = ServerName> {
  /** Its servers; side by side, they start and alternate in this order. */
  readonly servers: readonly Name[];
  readonly specs: Readonly<Record<Name, ServerSpec>>;
  /**
   * `all`: measured side by side when every one of them is selected; `any`: any two or more selected are; absent:
   * each alone. A server measured alone still reports into its section.
   */
  readonly together?: 'all' | 'any';
  open(run: Run): SectionRun;
}

/**
 * A section of one server that it measures itself (SectionRun.measure), with no goal: `measure` gives its result,
 * `print` shows it in the summary, and the JSON holds it under `key` (null when the server was not selected).
 */
export function measuredAlone<Name extends ServerName, Result>(options: {
  readonly name: Name;
  readonly spec: ServerSpec;
  readonly key: string;
  measure(run: Run): Promise<Result>;
  print(result: Result): void;
}): Section<Name> {
  return {
    servers: [options.name],
    specs: { [options.name]: options.spec } as Record<Name, ServerSpec>,
    open: (run) => {
      let result: Result | null = null;
      return {
        async measure() {
          result = await options.measure(run);
        },
        finish() {
          if (result !== null) options.print(result);
          return { json: { [options.key]: result }, goals: [] };
        },
      };
    },
  };
}
