import polyglotI18nProvider from 'ra-i18n-polyglot';
import { en } from './en';

/** English now; another language is one more file like en.ts and an entry here. */
export const i18nProvider = polyglotI18nProvider(() => en, 'en', [{ locale: 'en', name: 'English' }]);
