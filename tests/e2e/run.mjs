// Runs every *.test.mjs here, one file at a time (each starts its own server and browser; the
// CI machine has two cores), with Node's built-in test runner. Exit status: failed files.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of files) {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--test', file], { cwd: here, stdio: 'inherit', timeout: 10 * 60_000 });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    failed++;
    console.error(`FAILED ${file} (${seconds} s)`);
  } else {
    console.error(`passed ${file} (${seconds} s)`);
  }
}
if (files.length === 0) {
  console.error('no browser tests found');
  process.exit(1);
}
process.exit(failed ? 1 : 0);
