// Builds the workspace packages a command needs (turbo; cached builds take a few milliseconds) and stays
// silent unless the build fails, so that commands like `npm run -s token` print only their own output.
import { spawnSync } from 'node:child_process';

const filters = process.argv.slice(2).flatMap((name) => ['--filter', name]);
const result = spawnSync('npx', ['turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
});
if (result.status !== 0) {
  process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}build failed\n`);
  process.exit(result.status ?? 1);
}
