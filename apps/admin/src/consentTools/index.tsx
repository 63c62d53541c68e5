import FactCheck from '@mui/icons-material/FactCheck';
import { Stack } from '@mui/material';
import { CanAccess, Title } from 'react-admin';
import { ConsentImport } from './ConsentImport';
import { LedgerVerification } from './LedgerVerification';

/** The consent tools: ledger verification (the page's own access) and the CSV import (behind its own). */
export const ConsentToolsPage = () => (
  <Stack spacing={2} sx={{ mt: 2, maxWidth: 1100 }}>
    <Title title="custos.consent_tools.title" />
    <CanAccess action="import" resource="consentTools">
      <ConsentImport />
    </CanAccess>
    <LedgerVerification />
  </Stack>
);

export const consentTools = {
  name: 'consentTools',
  icon: FactCheck,
  list: ConsentToolsPage,
};
