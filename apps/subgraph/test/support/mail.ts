/** A consent confirmation to `to`, as a feature that mails writes it to the outbox. */
export const confirmation = (to: string) =>
  ({
    template: 'consent_confirmation',
    to,
    params: {
      controller: { name: 'Acme Widgets GmbH', contact: 'privacy@acme.example' },
      noticeVersion: '2026-11',
      link: 'https://custos.example/public/consent/confirm?token=tok_abcdefghijklmnop',
      purpose: 'sharing with partners (sale_share)',
      expiresAt: '2026-12-08T21:40:00.000Z',
    },
  }) as const;

/** Polls `check` every 100 ms until it yields a value, for at most `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
