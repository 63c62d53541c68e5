import { Migration } from '@mikro-orm/migrations';

/**
 * What the tickets subgraph may know of Custos' contacts: a contact's id and its privacy state — erased,
 * restricted (Art 18), "limit the use of my sensitive data" (CCPA) and the consent bits of each purpose —
 * exactly the columns of the row rule (`rowScope`) and of the ticket fields' state-dependent redaction
 * (`visibleWhen`), nothing personal. Its role reads this view and never `public.contact`; the view is the
 * owner's, so it reads the table with the owner's rights and lets through only these columns. It has no
 * privilege but SELECT here: although PostgreSQL could write through so simple a view, the tickets role cannot.
 */
export class Migration20261206000000ContactPrivacyView extends Migration {
  override name = 'Migration20261206000000ContactPrivacyView';

  override up(): void {
    // As written when it first ran (a migration never changes); the entity (contact-privacy.entity.ts) mirrors it,
    // and a test fails when the two drift apart.
    this.addSql(`
      create view tickets.contact_privacy as
        select id, erased_at, restricted, limit_sensitive, consent_granted, consent_objected
        from public.contact;`);
  }

  override down(): void {
    this.addSql('drop view if exists tickets.contact_privacy;');
  }
}
