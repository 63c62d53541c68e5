// Every section, in the order of the printed summary and of the JSON report, and every server's spec.
import type { ServerSpec } from '../servers.js';
import type { ServerName } from '../settings.js';
import { audit } from './audit.js';
import { change } from './change.js';
import { consent } from './consent.js';
import { consoleSection } from './console.js';
import { cursors } from './cursors.js';
import { enforcement } from './enforcement.js';
import { federation } from './federation.js';
import { outbox } from './outbox.js';
import { publicConsent } from './public-consent.js';
import { references } from './references.js';
import { scale } from './scale.js';
import type { Section } from './section.js';

export const SECTIONS: readonly Omit<Section, 'specs'>[] = [
  references,
  enforcement,
  federation,
  consent,
  publicConsent,
  outbox,
  consoleSection,
  audit,
  cursors,
  change,
  scale,
];

/** Every server's spec: the compiler checks that each name has one. */
export const SERVERS: Readonly<Record<ServerName, ServerSpec>> = {
  ...references.specs,
  ...enforcement.specs,
  ...federation.specs,
  ...consent.specs,
  ...publicConsent.specs,
  ...outbox.specs,
  ...consoleSection.specs,
  ...audit.specs,
  ...cursors.specs,
  ...change.specs,
  ...scale.specs,
};
