import type { ReactNode } from 'react';
import { AppBar, LoadingIndicator, Layout as RaLayout, TitlePortal } from 'react-admin';
import { SessionExpiry } from '../auth/SessionExpiry';
import { PurposeSelector } from './PurposeSelector';

const ConsoleAppBar = () => (
  <AppBar
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

export const Layout = ({ children }: { children: ReactNode }) => (
  <RaLayout appBar={ConsoleAppBar}>
    <SessionExpiry />
    {children}
  </RaLayout>
);
