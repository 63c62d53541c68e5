import { ValidationError } from '@custos/runtime';
import { describe, expect, it } from 'vitest';
import { CONSENT_CONFIRMATION, escapeHtml, renderMail, TEMPLATE_NAMES } from '../src/templates.js';
import { confirmationParams } from './support.js';

/** The consent confirmation: both parts, who sends it, which notice applies, and values escaped in the HTML. */
describe('templates', () => {
  it('the registry lists the consent confirmation', () => {
    expect(TEMPLATE_NAMES).toEqual(['consent_confirmation']);
    expect(CONSENT_CONFIRMATION.name).toBe('consent_confirmation');
  });

  it('renders a plain-text and an HTML part with the controller, contact, notice version, link, purpose, expiry', () => {
    const params = confirmationParams();
    const mail = renderMail('consent_confirmation', params);
    expect(mail.subject).toBe('Please confirm your consent – Acme Widgets GmbH');
    expect(mail.links).toEqual([params.link]);
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('Acme Widgets GmbH');
      expect(part).toContain('privacy@acme.example');
      expect(part).toContain('Privacy notice version: 2026-11');
      expect(part).toContain('sharing with partners (sale_share)');
      expect(part).toContain('expires at 2026-12-08 21:40 UTC');
    }
    expect(mail.text).toContain(`\n${params.link}\n`);
    expect(mail.html).toContain(`<a href="${escapeHtml(params.link)}">`);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.text).not.toMatch(/<[a-z]/i);
  });

  it('escapes every value in the HTML part and keeps it as given in the text part', () => {
    const params = confirmationParams({
      controller: { name: 'Evil <script>alert(1)</script> & "Co"', contact: "o'brien@acme.example" },
      noticeVersion: '<b>v2</b>',
      purpose: 'a <img src=x onerror=alert(1)> purpose',
      link: 'https://custos.example/confirm?token=a&b="c"<d>',
    });
    const mail = renderMail('consent_confirmation', params);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>v2');
    expect(mail.html).toContain('Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
    expect(mail.html).toContain('o&#39;brien@acme.example');
    expect(mail.html).toContain('Privacy notice version: &lt;b&gt;v2&lt;/b&gt;');
    // The link stays inside its attribute: no raw quote or angle bracket breaks out of href="…".
    const href = /<a href="([^"]*)">/.exec(mail.html)?.[1];
    expect(href).toBe('https://custos.example/confirm?token=a&amp;b=&quot;c&quot;&lt;d&gt;');
    expect(mail.text).toContain('Evil <script>alert(1)</script> & "Co"');
    expect(mail.text).toContain('Privacy notice version: <b>v2</b>');
  });

  it('refuses bad inputs by field and rule, without echoing them', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ link: 'javascript:alert("secret-1")' }, 'link', 'url'],
      [{ link: 'http://custos.example/secret-2' }, 'link', 'url'],
      [{ link: 'not a url secret-3' }, 'link', 'url'],
      [{ expiresAt: 'tomorrow secret-4' }, 'expiresAt', 'date_time'],
      [{ purpose: 'line\r\nBcc: secret-5' }, 'purpose', 'control_characters'],
      [{ controller: { name: 'x'.repeat(201), contact: 'secret-6' } }, 'controller.name', 'max_length'],
      [{ noticeVersion: undefined }, 'noticeVersion', 'required'],
      [{ controller: undefined }, 'controller.contact', 'required'],
    ];
    for (const [override, field, rule] of cases) {
      const params = { ...confirmationParams(), ...override };
      let caught: unknown;
      try {
        renderMail('consent_confirmation', params);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(ValidationError);
      const problems = (caught as ValidationError).problems;
      expect(problems, field).toContainEqual({ field, rule, message: expect.any(String) });
      expect(JSON.stringify(problems) + (caught as Error).message).not.toMatch(/secret-\d|xxxxx/);
    }
  });

  it('http links are taken on a loopback host only (development)', () => {
    const mail = renderMail(
      'consent_confirmation',
      confirmationParams({ link: 'http://localhost:4000/c?t=1' }),
    );
    expect(mail.links).toEqual(['http://localhost:4000/c?t=1']);
  });

  it('an unknown template is refused by name', () => {
    expect(() => renderMail('password_reset', {})).toThrow(ValidationError);
    expect(() => renderMail('password_reset', {})).toThrow(/^template: must be one of consent_confirmation$/);
  });
});
