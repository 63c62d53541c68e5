import PolicyIcon from '@mui/icons-material/Policy';
import type { ReactNode } from 'react';
import {
  AppBar,
  CanAccess,
  LoadingIndicator,
  Logout,
  Menu,
  Layout as RaLayout,
  TitlePortal,
  UserMenu,
  useGetIdentity,
  useTranslate,
} from 'react-admin';
import { SessionExpiry } from '../auth/SessionExpiry';
import { PurposeSelector } from './PurposeSelector';

/**
 * The user menu's button shows who is signed in; its accessible name must contain that visible text (WCAG 2.5.3,
 * "label in name"), so the name leads the label.
 */
const ConsoleUserMenu = () => {
  const { identity } = useGetIdentity();
  const translate = useTranslate();
  const label = translate('custos.account_menu', { name: identity?.fullName ?? '' });
  return (
    <UserMenu label={label}>
      <Logout />
    </UserMenu>
  );
};

const ConsoleAppBar = () => (
  <AppBar
    userMenu={<ConsoleUserMenu />}
    toolbar={
      <>
        <PurposeSelector />
        <LoadingIndicator />
      </>
    }
  >
    <TitlePortal />
  </AppBar>
);

/**
 * The menu: the dashboard, the resources the purpose may list, and the pages from the policy — each page, like each
 * resource, only where canAccess lets the declared purpose open it.
 */
const ConsoleMenu = () => (
  <Menu>
    <Menu.DashboardItem />
    <Menu.ResourceItems />
    <CanAccess action="list" resource="processing">
      <Menu.Item to="/processing" primaryText="custos.processing.menu" leftIcon={<PolicyIcon />} />
    </CanAccess>
  </Menu>
);

export const Layout = ({ children }: { children: ReactNode }) => (
  <RaLayout appBar={ConsoleAppBar} menu={ConsoleMenu}>
    <SessionExpiry />
    {children}
  </RaLayout>
);
