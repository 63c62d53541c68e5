import CompareArrows from '@mui/icons-material/CompareArrows';
import { DuplicateList } from './DuplicateList';

/** The duplicate-email review queue (listed in the menu where the declared purpose may list it). */
export const contactDuplicates = {
  name: 'contactDuplicates',
  icon: CompareArrows,
  list: DuplicateList,
  recordRepresentation: 'id',
};
