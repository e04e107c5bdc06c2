import { execFileSync } from 'node:child_process';

/** Compiles the apps that multi-process tests run as separate Node processes. */
export default async function globalSetup() {
  execFileSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.fixtures.json'],
    {
      stdio: 'inherit',
    },
  );
}
