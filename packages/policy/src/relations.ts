import { decideField } from './decide.js';
import { isPersonalField } from './fields.js';
import { OPERATION_RESULTS, OPERATIONS, type Operation } from './operations.js';
import { PURPOSES, type Purpose } from './purposes.js';
import { ORDINARY_CONTACT } from './state.js';

/**
 * Every field that leads from one row of the API to another (a relation), with the type it leads to (a list or
 * a connection of it counts as the type). A relation is a fact about a person like any other field — that a
 * person works for a company, has tickets, was called — and is classified in PERSONAL_FIELDS, or listed in
 * NON_PERSONAL_FIELDS where the operations that reach its parent already decide (the consent ledger, the
 * duplicate queue). `inverse`: the field that states the same fact from the other side; both sides carry the
 * same category and are open to the same purposes.
 *
 * The rule (DESIGN.md, "Redaction semantics"): a purpose reaches through nesting nothing that it could not
 * reach from the root. {@link nestingLeaks} checks it on the tables; the policy tests require it to be empty and
 * test/federation/reach.test.ts checks both tables against the composed schema.
 */
export interface RelationDefinition {
  readonly target: string;
  readonly inverse?: string;
}

export const RELATIONS = {
  'Contact.company': { target: 'Company', inverse: 'Company.contacts' },
  'Company.contacts': { target: 'Contact', inverse: 'Contact.company' },
  'Contact.interactions': { target: 'Interaction', inverse: 'Interaction.contact' },
  'Interaction.contact': { target: 'Contact', inverse: 'Contact.interactions' },
  // apps/tickets
  'Contact.tickets': { target: 'Ticket', inverse: 'Ticket.requester' },
  'Contact.ticketConnection': { target: 'Ticket', inverse: 'Ticket.requester' },
  'Ticket.requester': { target: 'Contact', inverse: 'Contact.tickets' },
  // Reached only through operations that already name the contact (or compliance's queue).
  'ConsentEvent.contact': { target: 'Contact' },
  'ContactDuplicate.contact': { target: 'Contact' },
  'ContactDuplicate.existingContact': { target: 'Contact' },
} as const satisfies Record<string, RelationDefinition>;

export type Relation = keyof typeof RELATIONS;

export function isRelation(field: string): field is Relation {
  return Object.hasOwn(RELATIONS, field);
}

/** May `purpose` follow `relation` on some row (a non-personal relation: wherever its parent is reached)? */
export function mayFollow(purpose: Purpose, relation: Relation): boolean {
  if (!isPersonalField(relation)) return true;
  // The row's state may still close it (restriction), never open it: the ordinary contact is the widest case.
  return decideField(purpose, relation, ORDINARY_CONTACT).allowed;
}

/** The row types `purpose` reaches from the root: the results of the operations it may run. */
export function rootTypes(purpose: Purpose): ReadonlySet<string> {
  return new Set(
    (Object.keys(OPERATIONS) as Operation[])
      .filter((operation) => (OPERATIONS[operation] as readonly Purpose[]).includes(purpose))
      .map((operation) => OPERATION_RESULTS[operation]),
  );
}

/**
 * The row types `purpose` reaches by nesting: from its root types, through every relation it may follow whose
 * parent it reaches, until nothing new is reached.
 */
export function nestedTypes(
  purpose: Purpose,
  follows: (purpose: Purpose, relation: Relation) => boolean = mayFollow,
): ReadonlySet<string> {
  const reached = new Set(rootTypes(purpose));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [relation, { target }] of Object.entries(RELATIONS) as [Relation, RelationDefinition][]) {
      const parent = relation.split('.')[0]!;
      if (reached.has(parent) && !reached.has(target) && follows(purpose, relation)) {
        reached.add(target);
        grew = true;
      }
    }
  }
  return reached;
}

/**
 * Relations a purpose may follow (from a row it reaches) to a type no root operation of it returns: must be none.
 * `follows` replaces the policy's decision (the tests show that the check finds a leak).
 */
export function nestingLeaks(
  follows: (purpose: Purpose, relation: Relation) => boolean = mayFollow,
): { purpose: Purpose; relation: Relation; target: string }[] {
  return PURPOSES.flatMap((purpose) => {
    const roots = rootTypes(purpose);
    const reached = nestedTypes(purpose, follows);
    return (Object.entries(RELATIONS) as [Relation, RelationDefinition][])
      .filter(
        ([relation, { target }]) =>
          reached.has(relation.split('.')[0]!) && follows(purpose, relation) && !roots.has(target),
      )
      .map(([relation, { target }]) => ({ purpose, relation, target }));
  });
}
