import { Show, SimpleShowLayout, TextField } from 'react-admin';
import { DateTimeField } from '../fields/DateTimeField';

/** One published version: its text as people saw it, and the SHA-256 a consent receipt names. */
export const NoticeShow = () => (
  <Show>
    <SimpleShowLayout>
      <TextField source="version" />
      <DateTimeField source="publishedAt" label="resources.privacyNotices.fields.publishedAt" />
      <TextField source="textSha256" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} />
      <TextField source="text" component="pre" sx={{ whiteSpace: 'pre-wrap', fontFamily: 'inherit', m: 0 }} />
    </SimpleShowLayout>
  </Show>
);
