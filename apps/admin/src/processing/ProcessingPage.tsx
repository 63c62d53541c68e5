import {
  DATA_CATEGORIES,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  purposeCategories,
  renderProcessingRecord,
} from '@custos/policy';
import { Box, Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import { useMemo } from 'react';
import { Loading, Title, useRequireAccess, useTranslate } from 'react-admin';

/**
 * The purposes of processing with their lawful basis, description and data categories, and the record of
 * processing (GDPR Art 30) — all from packages/policy, the same tables the server enforces: no server call. Where
 * the policy lets the declared purpose read them (canAccess); else the access-denied page, as a list would show.
 */
export const ProcessingPage = () => {
  const translate = useTranslate();
  const record = useMemo(() => renderProcessingRecord(), []);
  const { isPending } = useRequireAccess({ action: 'list', resource: 'processing' });
  if (isPending) return <Loading />;
  return (
    <Box sx={{ mt: 2 }}>
      <Title title="custos.processing.title" />
      <Typography variant="h5" component="h1" gutterBottom>
        {translate('custos.processing.title')}
      </Typography>
      <Typography sx={{ mb: 2 }}>{translate('custos.processing.explanation')}</Typography>
      {PURPOSES.map((purpose) => {
        const definition = PURPOSE_DEFINITIONS[purpose];
        const headingId = `custos-processing-${purpose}`;
        return (
          <Card component="section" key={purpose} aria-labelledby={headingId} sx={{ mb: 2 }}>
            <CardContent>
              <Typography variant="h6" component="h2" id={headingId}>
                {translate(`custos.purposes.${purpose}`, { _: purpose })} <code>{purpose}</code>
              </Typography>
              <Typography>
                <strong>{translate('custos.processing.lawful_basis')}:</strong>{' '}
                {translate(`custos.processing.bases.${definition.lawfulBasis}`, {
                  _: definition.lawfulBasis,
                })}
              </Typography>
              <Typography sx={{ my: 1 }}>{definition.description}</Typography>
              <Typography component="h3" variant="subtitle2">
                {translate('custos.processing.categories')}
              </Typography>
              <Stack
                direction="row"
                component="ul"
                sx={{ flexWrap: 'wrap', gap: 1, p: 0, m: 0, listStyle: 'none' }}
              >
                {purposeCategories(purpose).map((category) => (
                  <li key={category}>
                    <Chip size="small" label={DATA_CATEGORIES[category].label} title={category} />
                  </li>
                ))}
              </Stack>
            </CardContent>
          </Card>
        );
      })}
      <Card component="section" aria-labelledby="custos-processing-record">
        <CardContent>
          <Typography variant="h6" component="h2" id="custos-processing-record">
            {translate('custos.processing.record')}
          </Typography>
          <Box
            component="pre"
            // A scrolling region must be reachable by keyboard.
            tabIndex={0}
            role="region"
            aria-label={translate('custos.processing.record')}
            sx={{ maxHeight: 480, overflow: 'auto', whiteSpace: 'pre-wrap', fontSize: '0.8rem' }}
          >
            {record}
          </Box>
        </CardContent>
      </Card>
    </Box>
  );
};
