import { escapeHtml } from '@custos/mail';
import type { TokenCheck } from './consent.confirmations.js';

/**
 * The plain pages a data subject sees when opening a confirmation link: no script, no external resource, each
 * saying what happened and what to do next. None names the person; only a pending or confirmed one names the
 * purpose (the person holding the link asked for it).
 */
export interface Page {
  readonly status: number;
  readonly html: string;
}

function page(status: number, title: string, paragraphs: readonly string[], form = ''): Page {
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}',
    'button{font:inherit;padding:.5rem 1rem}</style></head>',
    `<body><main><h1>${escapeHtml(title)}</h1>`,
    ...paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`),
    form,
    '</main></body></html>',
  ].join('\n');
  return { status, html };
}

const AGAIN = 'To give your consent, submit the form again: you will receive a new link.';

/** The page for a checked token; `token` goes back into the confirmation form of a pending one. */
export function confirmationPage(check: TokenCheck, token = ''): Page {
  const purpose = check.purpose?.plainName ?? '';
  switch (check.state) {
    case 'pending':
      return page(
        200,
        'Confirm your consent',
        [`You are about to consent to: ${purpose}.`, 'Nothing is recorded until you press the button.'],
        `<form method="post"><input type="hidden" name="token" value="${escapeHtml(token)}">` +
          '<button type="submit">Confirm my consent</button></form>',
      );
    case 'confirmed':
      return page(200, 'Thank you: your consent is recorded', [
        `Your consent to ${purpose} is recorded.`,
        'You can withdraw it at any time, as easily as you gave it: use the same form, or contact us.',
      ]);
    case 'used':
      return page(410, 'This link has already been used', [
        'Your confirmation was recorded when you first used this link; nothing more is needed.',
      ]);
    case 'expired':
      return page(410, 'This link has expired', ['Nothing was recorded.', AGAIN]);
    case 'cancelled':
      return page(410, 'This link is no longer valid', [
        'A later choice replaced it, or the request no longer applies. Nothing was recorded.',
        AGAIN,
      ]);
    case 'locked':
      return page(410, 'This link is locked', [
        'It was tried too many times with a wrong code. Nothing was recorded.',
        AGAIN,
      ]);
    case 'unknown':
      return page(404, 'This link is not valid', [
        'Check that you opened the whole link from the message. Nothing was recorded.',
        AGAIN,
      ]);
  }
}
