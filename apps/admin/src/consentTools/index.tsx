import FactCheck from '@mui/icons-material/FactCheck';
import { Stack } from '@mui/material';
import { CanAccess, Loading, Title, useRequireAccess } from 'react-admin';
import { ConsentImport } from './ConsentImport';
import { LedgerVerification } from './LedgerVerification';

/**
 * The consent tools: ledger verification (the page's own access: a purpose that may not verify is sent to the
 * access-denied page, as a list would be) and the CSV import (behind its own).
 */
export const ConsentToolsPage = () => {
  const { isPending } = useRequireAccess({ action: 'list', resource: 'consentTools' });
  if (isPending) return <Loading />;
  return (
    <Stack spacing={2} sx={{ mt: 2, maxWidth: 1100 }}>
      <Title title="custos.consent_tools.title" />
      <CanAccess action="import" resource="consentTools">
        <ConsentImport />
      </CanAccess>
      <LedgerVerification />
    </Stack>
  );
};

export const consentTools = {
  name: 'consentTools',
  icon: FactCheck,
  list: ConsentToolsPage,
};
