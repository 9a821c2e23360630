// The page as `.ci/serve` serves it: `trunk serve --release` with the headers of Trunk.toml.
// (The other browser tests serve dist/ with a small server of their own.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch, openPage, runInPage, waitForPool } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const port = 18080 + Math.floor(Math.random() * 1000);
let trunk;
let browser;

after(async () => {
  await browser?.close();
  trunk?.kill('SIGTERM');
});

async function waitForServer(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`trunk serve did not answer on ${url}`);
}

test('trunk serve (the README\'s serve command) serves an isolated page that runs', { timeout: 240_000 }, async () => {
  trunk = spawn('trunk', ['serve', '--release', '--port', String(port)], { cwd: root, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  const response = await waitForServer(url, Date.now() + 200_000);
  assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(response.headers.get('cross-origin-embedder-policy'), 'require-corp');
  browser = await launch();
  const page = await openPage(browser, `${url}?strategy=Pool.map&workers=5&items=14&chunksize=3`);
  await waitForPool(page);
  const trace = await runInPage(page, { strategy: 'Pool.map', workers: 5, items: 14, chunksize: 3 });
  assert.deepEqual(trace.chunks.map((c) => c.len), [3, 3, 3, 3, 2]);
  assert.equal(trace.isolated, true);
  assert.deepEqual(page.problems, [], 'no console error, Trunk\'s reload socket included');
});
