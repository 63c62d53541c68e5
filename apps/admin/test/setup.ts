import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Testing Library unmounts after each test by itself only where test globals exist; vitest's are off here.
afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
});
