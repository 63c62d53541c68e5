import { Alert, Box, Typography } from '@mui/material';
import type { ConfigLoadError } from './config';
import { i18nProvider } from './i18n';

/**
 * What the console shows when its config.json is missing or wrong: which, and what the operator should do — never
 * a blank page. Outside react-admin (it needs the configuration to start), so it translates by itself.
 */
export const ConfigErrorPage = ({ error }: { readonly error: ConfigLoadError }) => {
  const translate = i18nProvider.translate;
  return (
    <Box component="main" sx={{ maxWidth: 640, mx: 'auto', p: 4 }}>
      <Typography component="h1" variant="h5" gutterBottom>
        {translate('custos.config.title')}
      </Typography>
      <Alert severity="error">{translate(`custos.config.${error.key}`, { detail: error.detail })}</Alert>
      <Typography sx={{ mt: 2 }}>{translate('custos.config.help')}</Typography>
    </Box>
  );
};
