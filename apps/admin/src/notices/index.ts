import Article from '@mui/icons-material/Article';
import { NoticeCreate } from './NoticeCreate';
import { NoticeList } from './NoticeList';
import { NoticeShow } from './NoticeShow';

export const privacyNotices = {
  name: 'privacyNotices',
  icon: Article,
  list: NoticeList,
  show: NoticeShow,
  create: NoticeCreate,
  recordRepresentation: 'version',
};
