import People from '@mui/icons-material/People';
import { ContactEdit } from './ContactEdit';
import { ContactList } from './ContactList';
import { ContactShow } from './ContactShow';

export const contacts = {
  name: 'contacts',
  icon: People,
  list: ContactList,
  show: ContactShow,
  edit: ContactEdit,
  recordRepresentation: 'id',
};
