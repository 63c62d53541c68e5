import { ValidationError, Validator } from '@custos/runtime';

/**
 * The messages Custos sends to data subjects, as a typed registry: each template declares its inputs, checks them
 * (they come back from the outbox's jsonb as `unknown`) and renders a subject, a plain-text part and an HTML part
 * from them alone — no clock, no configuration — so that a retry renders the same message.
 *
 * Every message carries who sends it and why the person may trust it: the controller's name and contact
 * (GDPR Art 13(1)(a), Art 12(1): clear and plain language) and the version of the privacy notice the person was
 * shown. These are inputs of the template, captured when the message is enqueued, not read at delivery: the
 * mail states the notice the person's action referred to, even if a newer one is published meanwhile.
 *
 * Values are HTML-escaped in the HTML part (`escapeHtml`); in the text part they are written as they are, which
 * is safe because `parse` refuses control characters in every single-line value.
 */
export interface MailController {
  readonly name: string;
  readonly contact: string;
}

/** What every template takes. */
export interface MailBase {
  readonly controller: MailController;
  readonly noticeVersion: string;
}

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The links the message carries, in order (the capture transport's sidecar lists them for tests and people). */
  readonly links: readonly string[];
}

export interface MailTemplate<P extends MailBase> {
  readonly name: string;
  /** Checks inputs of unknown shape; a ValidationError names each field and rule, never a value. */
  parse(input: unknown): P;
  render(params: P): RenderedMail;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string input, or the validator's "required" problem when it is missing or not a string. */
function field(v: Validator, input: Json, name: string, path: string, max: number): string {
  const raw = input[name];
  const text = v.text(path, typeof raw === 'string' ? raw : undefined, { max, required: true });
  return text ?? '';
}

/** The inputs every template shares, checked into `v`. */
function parseBase(v: Validator, input: Json): MailBase {
  const controller = isObject(input.controller) ? input.controller : {};
  return {
    controller: {
      name: field(v, controller, 'name', 'controller.name', 200),
      contact: field(v, controller, 'contact', 'controller.contact', 200),
    },
    noticeVersion: field(v, input, 'noticeVersion', 'noticeVersion', 64),
  };
}

/** An absolute http(s) URL (http only for a loopback host, as development's links are), or a problem. */
function parseLink(v: Validator, input: Json, name: string): string {
  const text = field(v, input, name, name, 2048);
  if (text === '') return text;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const loopback = url !== undefined && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
  if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    v.fail(name, 'url', 'must be an https URL (http only on a loopback host)');
  }
  return text;
}

/** An ISO 8601 instant, or a problem. */
function parseInstant(v: Validator, input: Json, name: string): string {
  const text = field(v, input, name, name, 40);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  if (text !== '' && (!iso.test(text) || Number.isNaN(Date.parse(text)))) {
    v.fail(name, 'date_time', 'must be an ISO 8601 date and time');
    return text;
  }
  return text === '' ? text : new Date(text).toISOString();
}

/** `2026-12-08 21:40 UTC`: one form whatever the server's locale or zone. */
export function formatInstant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The footer every message ends with: who sends it, how to reach them, which notice applies. */
function footer(base: MailBase): { text: string; html: string } {
  const { name, contact } = base.controller;
  return {
    text: [
      '--',
      `Sent by ${name}, the controller of your personal data.`,
      `Questions or requests about your data: ${contact}`,
      `Privacy notice version: ${base.noticeVersion}`,
    ].join('\n'),
    html: [
      '<hr>',
      `<p>Sent by ${escapeHtml(name)}, the controller of your personal data.<br>`,
      `Questions or requests about your data: ${escapeHtml(contact)}<br>`,
      `Privacy notice version: ${escapeHtml(base.noticeVersion)}</p>`,
    ].join('\n'),
  };
}

function htmlDocument(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    `<body>${body}</body></html>`,
  ].join('\n');
}

export interface ConsentConfirmationParams extends MailBase {
  /** The single-use confirmation link (it carries the token: never logged). */
  readonly link: string;
  /** The purpose the consent is for, as the person should read it. */
  readonly purpose: string;
  /** When the link stops working (ISO 8601). */
  readonly expiresAt: string;
}

/**
 * Double opt-in (GDPR Art 7(1): the controller must be able to demonstrate consent): the person confirms a
 * consent given through a public form by opening the link; nothing is recorded until then.
 */
export const CONSENT_CONFIRMATION: MailTemplate<ConsentConfirmationParams> = {
  name: 'consent_confirmation',
  parse(input) {
    const v = new Validator();
    const json = isObject(input) ? input : {};
    const params: ConsentConfirmationParams = {
      ...parseBase(v, json),
      link: parseLink(v, json, 'link'),
      purpose: field(v, json, 'purpose', 'purpose', 200),
      expiresAt: parseInstant(v, json, 'expiresAt'),
    };
    v.done();
    return params;
  },
  render(params) {
    const subject = `Please confirm your consent – ${params.controller.name}`;
    const expires = formatInstant(params.expiresAt);
    const end = footer(params);
    const text = [
      'Hello,',
      '',
      `someone asked ${params.controller.name} to record your consent for: ${params.purpose}.`,
      'If that was you, confirm it by opening this link:',
      '',
      params.link,
      '',
      `The link works once and expires at ${expires}.`,
      'If it was not you, ignore this message: nothing is recorded without your confirmation,',
      'and you can withdraw a consent at any time, as easily as you gave it.',
      '',
      end.text,
      '',
    ].join('\n');
    const html = htmlDocument(
      subject,
      [
        '<p>Hello,</p>',
        `<p>someone asked ${escapeHtml(params.controller.name)} to record your consent for: ` +
          `<strong>${escapeHtml(params.purpose)}</strong>.</p>`,
        '<p>If that was you, confirm it by opening this link:</p>',
        `<p><a href="${escapeHtml(params.link)}">Confirm my consent</a></p>`,
        `<p>The link works once and expires at ${escapeHtml(expires)}.</p>`,
        '<p>If it was not you, ignore this message: nothing is recorded without your confirmation, ' +
          'and you can withdraw a consent at any time, as easily as you gave it.</p>',
        end.html,
      ].join('\n'),
    );
    return { subject, text, html, links: [params.link] };
  },
};

/** Every template, by name: the outbox stores the name, delivery looks it up here. */
export const TEMPLATES = {
  consent_confirmation: CONSENT_CONFIRMATION,
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export type TemplateParams<N extends TemplateName> =
  (typeof TEMPLATES)[N] extends MailTemplate<infer P> ? P : never;

export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as TemplateName[];

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(TEMPLATES, name);
}

/** The template `template` and its checked params (trimmed, instants in ISO form): what the outbox stores. */
export function checkMail(template: string, params: unknown): { template: TemplateName; params: MailBase } {
  if (!isTemplateName(template)) {
    throw new ValidationError([
      { field: 'template', rule: 'one_of', message: `must be one of ${TEMPLATE_NAMES.join(', ')}` },
    ]);
  }
  return { template, params: (TEMPLATES[template] as MailTemplate<MailBase>).parse(params) };
}

/**
 * Checks and renders a message. `params` is typed for callers and checked all the same (so that a value built
 * with a cast, or read back from the outbox, meets the same rules).
 */
export function renderMail<N extends TemplateName>(template: N, params: TemplateParams<N>): RenderedMail;
export function renderMail(template: string, params: unknown): RenderedMail;
export function renderMail(template: string, params: unknown): RenderedMail {
  const checked = checkMail(template, params);
  return (TEMPLATES[checked.template] as MailTemplate<MailBase>).render(checked.params);
}
