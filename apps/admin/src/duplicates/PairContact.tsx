import { Stack, Typography } from '@mui/material';
import {
  Link,
  type RaRecord,
  RecordContextProvider,
  useCanAccess,
  useCreatePath,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { RedactedField } from '../fields/RedactedField';

/**
 * One contact of a pair: an explicit link to its page (named by its id, which is never redacted), then its name and
 * email — each shown "redacted" with the reason where the declared purpose may not see it, never as an empty value.
 * A contact erased since, or out of the purpose's rows, comes back null: it says so.
 */
export const PairContact = ({ source }: { readonly source: 'contact' | 'existingContact' }) => {
  const pair = useRecordContext();
  const translate = useTranslate();
  const createPath = useCreatePath();
  const { canAccess } = useCanAccess({ action: 'show', resource: 'contacts' });
  const contact = pair?.[source] as RaRecord | null | undefined;
  if (!contact) {
    return (
      <Typography variant="body2" component="span">
        {translate('custos.duplicates.contact_unavailable')}
      </Typography>
    );
  }
  const label = translate('custos.duplicates.contact_link', { id: String(contact.id).slice(0, 8) });
  return (
    <RecordContextProvider value={contact}>
      <Stack spacing={0.5} alignItems="flex-start">
        {canAccess ? (
          <Link to={createPath({ resource: 'contacts', id: contact.id, type: 'show' })}>{label}</Link>
        ) : (
          <Typography variant="body2" component="span">
            {label}
          </Typography>
        )}
        <RedactedField source="fullName" />
        <RedactedField source="email" />
      </Stack>
    </RecordContextProvider>
  );
};
