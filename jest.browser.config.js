import base from './jest.config.js';

/** `npm run test:browser`: the sample in Debian's Chromium (see test/browser/). */
export default {
  ...base,
  testMatch: ['<rootDir>/test/browser/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  testTimeout: 60000,
  maxWorkers: 1,
};
