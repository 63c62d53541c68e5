import { render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { AdminContext, RecordContextProvider } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { DateTimeField } from '../src/fields/DateTimeField';
import { RedactedField } from '../src/fields/RedactedField';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';

const renderField = (record: Record<string, unknown>, field: ReactNode) =>
  render(
    <AdminContext i18nProvider={i18nProvider}>
      <RecordContextProvider value={{ id: 'c1', ...record }}>{field}</RecordContextProvider>
    </AdminContext>,
  );

describe('RedactedField', () => {
  it('shows a "redacted" chip with the reason, in a tooltip and in text for screen readers, never an empty value', async () => {
    renderField(
      { email: null, __redactions: { email: 'PROCESSING_RESTRICTED' } },
      <RedactedField source="email" />,
    );
    const reason = en.custos.reasons.PROCESSING_RESTRICTED;
    const chip = await screen.findByText('redacted', { exact: false });
    const container = chip.closest('[data-redaction-reason]');
    expect(container?.getAttribute('data-redaction-reason')).toBe('PROCESSING_RESTRICTED');
    expect(container?.textContent).toBe(`redacted: ${reason}`);
    // Reachable by keyboard, so the tooltip opens on focus too.
    expect(container?.getAttribute('tabindex')).toBe('0');
  });

  it('shows the value when there is one, and nothing redacted', async () => {
    renderField({ email: 'ann@example.test', __redactions: {} }, <RedactedField source="email" />);
    expect(await screen.findAllByText('ann@example.test')).toHaveLength(1);
    expect(screen.queryByText('redacted', { exact: false })).toBeNull();
  });

  it('shows an empty value as empty when no redaction names it (another field may be redacted)', async () => {
    const { container } = renderField(
      { email: null, phone: null, __redactions: { phone: 'PURPOSE_NOT_ALLOWED' } },
      <>
        <RedactedField source="email" />
        <RedactedField source="phone" />
      </>,
    );
    // The phone beside it is redacted: the email's null, with no entry, is just empty.
    await screen.findByText('redacted', { exact: false });
    const chips = container.querySelectorAll('[data-redaction-reason]');
    expect(chips).toHaveLength(1);
    expect(chips[0]?.getAttribute('data-redaction-reason')).toBe('PURPOSE_NOT_ALLOWED');
    expect(container.textContent).toBe(`redacted: ${en.custos.reasons.PURPOSE_NOT_ALLOWED}`);
  });
});

describe('DateTimeField', () => {
  it('shows the instant in the user’s time zone with UTC in its title', async () => {
    const instant = '2026-03-04T05:06:07.000Z';
    const { container } = renderField({ createdAt: instant }, <DateTimeField source="createdAt" />);
    await screen.findByTitle('2026-03-04 05:06:07 UTC');
    const time = container.querySelector('time');
    expect(time?.getAttribute('datetime')).toBe(instant);
    const local = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(
      new Date(instant),
    );
    expect(time?.textContent).toBe(local);
  });
});

describe('the English messages', () => {
  it('name every role, purpose and redaction reason of the policy', async () => {
    const { ROLES, PURPOSES, REDACTION_REASONS } = await import('@custos/policy');
    expect(ROLES.filter((role) => !(role in en.custos.roles))).toEqual([]);
    expect(PURPOSES.filter((purpose) => !(purpose in en.custos.purposes))).toEqual([]);
    expect(REDACTION_REASONS.filter((reason) => !(reason in en.custos.reasons))).toEqual([]);
    expect(ROLES.length * PURPOSES.length * REDACTION_REASONS.length).toBeGreaterThan(0);
  });
});
