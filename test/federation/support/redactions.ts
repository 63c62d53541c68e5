import type { RedactionReason } from '@custos/policy';
import { expect } from 'vitest';
import type { GqlResponse } from '../../../apps/subgraph/test/support/harness.js';

interface Entry {
  readonly path: (string | number)[];
  readonly field: string;
  readonly category: string;
  readonly reason: RedactionReason;
}

const entriesOf = (res: GqlResponse): Entry[] =>
  (res.body.extensions?.redactions as Entry[] | undefined) ?? [];
const key = (entry: Entry) => JSON.stringify([entry.path, entry.field, entry.category, entry.reason]);

/**
 * The gateway's answer equals the subgraph's own answer to the same query: same data, same errors (codes and
 * paths), and the same redaction entries — path, field, category and reason — whether the gateway removed the
 * field itself (the purpose never sees it) or passed the subgraph's entry through.
 */
export function expectSameAnswer(viaGateway: GqlResponse, direct: GqlResponse): void {
  expect(viaGateway.status).toBe(direct.status);
  expect(viaGateway.body.data).toEqual(direct.body.data);
  const errors = (res: GqlResponse) =>
    res.body.errors?.map((e) => ({ path: e.path, code: e.extensions?.code }));
  expect(errors(viaGateway)).toEqual(errors(direct));
  expect(entriesOf(viaGateway).map(key).sort()).toEqual(entriesOf(direct).map(key).sort());
}
