import { randomUUID } from 'node:crypto';
import { assertWritable, visibleContactState } from '@custos/enforcement';
import type { PersonalField, Purpose } from '@custos/policy';
import { isUuid, NotFoundError, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { INTERACTION_TYPES, Interaction, type InteractionType } from './interaction.entity.js';

export interface InteractionInput {
  readonly contactId?: string | null;
  readonly type?: InteractionType | null;
  readonly subject?: string | null;
  readonly body?: string | null;
  readonly occurredAt?: Date | null;
}

const WRITABLE: Readonly<Record<string, PersonalField>> = {
  subject: 'Interaction.subject',
  body: 'Interaction.body',
};

/** How far ahead an interaction may be dated: a scheduled meeting, not a typo in the year. */
const MAX_FUTURE_MS = 366 * 24 * 3600 * 1000;

function clean(v: Validator, input: InteractionInput, mode: 'create' | 'update', now: Date) {
  const out: Partial<Pick<Interaction, 'type' | 'subject' | 'body' | 'occurredAt'>> = {};
  if (mode === 'create' || input.type !== undefined) {
    if (!input.type || !INTERACTION_TYPES.includes(input.type)) v.fail('type', 'enum', 'is required');
    else out.type = input.type;
  }
  if (mode === 'create' || input.subject !== undefined) {
    const subject = v.text('subject', input.subject, { max: 200, required: true });
    if (subject) out.subject = subject;
  }
  if (input.body !== undefined)
    out.body = v.text('body', input.body, { max: 10_000, multiline: true }) ?? null;
  if (input.occurredAt !== undefined) {
    if (input.occurredAt === null) v.fail('occurredAt', 'required', 'must not be null');
    else {
      v.timestamp('occurredAt', input.occurredAt, { notAfter: new Date(now.getTime() + MAX_FUTURE_MS) });
      if (input.occurredAt.getUTCFullYear() < 1970) v.fail('occurredAt', 'min', 'must not be before 1970');
      out.occurredAt = input.occurredAt;
    }
  }
  return out;
}

/** Logs an interaction on a contact; the agent is the caller (the token's subject), never client input. */
export async function createInteraction(
  em: EntityManager,
  purpose: Purpose,
  input: InteractionInput,
  agent: string,
  now: Date,
): Promise<string> {
  const v = new Validator();
  const values = clean(v, input, 'create', now);
  if (!input.contactId || !isUuid(input.contactId)) {
    v.done();
    throw new NotFoundError('Contact', 'contactId');
  }
  v.done();
  const contactId = input.contactId;
  return em.transactional(async (tx) => {
    const state = await visibleContactState(tx, purpose, contactId);
    if (!state) throw new NotFoundError('Contact', 'contactId');
    assertWritable(purpose, input, WRITABLE, state);
    const interaction = tx.create(Interaction, {
      id: randomUUID(),
      contact: contactId,
      type: values.type ?? 'NOTE',
      subject: values.subject ?? '',
      body: values.body ?? null,
      occurredAt: values.occurredAt ?? now,
      loggedBy: agent,
      createdAt: now,
      updatedAt: now,
    });
    await tx.flush();
    return interaction.id;
  });
}

export async function updateInteraction(
  em: EntityManager,
  purpose: Purpose,
  id: string,
  input: InteractionInput,
  now: Date,
): Promise<string> {
  const v = new Validator();
  const values = clean(v, input, 'update', now);
  if (input.contactId !== undefined)
    v.fail('contactId', 'immutable', 'cannot be changed; log a new interaction');
  v.done();
  if (!isUuid(id)) throw new NotFoundError('Interaction');
  return em.transactional(async (tx) => {
    const interaction = await tx.findOne(Interaction, { id });
    // Its contact must be a row the purpose may see; otherwise the interaction does not exist for it.
    const state = interaction ? await visibleContactState(tx, purpose, interaction.contact) : null;
    if (!interaction || !state) throw new NotFoundError('Interaction');
    assertWritable(purpose, input, WRITABLE, state);
    tx.assign(interaction, { ...values, updatedAt: now });
    await tx.flush();
    return interaction.id;
  });
}
