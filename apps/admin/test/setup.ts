import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { endSession } from '../src/auth/session';

// Testing Library unmounts after each test by itself only where test globals exist; vitest's are off here.
afterEach(() => {
  cleanup();
  endSession();
  sessionStorage.clear();
  localStorage.clear();
});
