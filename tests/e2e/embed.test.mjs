// A tutorial page on another origin embeds the playground in an iframe, as the README shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launch, openPage, playgroundFrame, serve } from './harness.mjs';

let browser;
let playground;

before(async () => {
  browser = await launch();
  playground = await serve({ isolated: true });
});

after(async () => {
  await browser?.close();
  await playground?.close();
});

/** A tutorial page on its own origin, isolated or not, embedding the playground. */
async function tutorialPage({ isolated }) {
  const html = `<!DOCTYPE html><title>tutorial</title><h1>Pool.map</h1>
<iframe id="playground" allow="cross-origin-isolated" width="1100" height="900"
  src="${playground.url}?strategy=Pool.map&workers=5&items=14&chunksize=3"></iframe>`;
  const server = createServer((req, res) => {
    const headers = { 'Content-Type': 'text/html; charset=utf-8' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // "localhost" is another origin than the playground's 127.0.0.1.
  const url = `http://localhost:${server.address().port}/`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('embedded in an isolated tutorial page, the playground runs its workers', async () => {
  const tutorial = await tutorialPage({ isolated: true });
  try {
    const page = await openPage(browser, tutorial.url);
    const frame = await playgroundFrame(page, '#playground');
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true);
    const trace = await frame.evaluate(() => window.playground.run({ strategy: 'Pool.map', workers: 5, items: 14, chunksize: 3 }));
    assert.deepEqual(trace.chunks.map((c) => c.len), [3, 3, 3, 3, 2]);
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await tutorial.close();
  }
});

test('embedded in a page that is not isolated, it says so and still runs the fetches', async () => {
  const tutorial = await tutorialPage({ isolated: false });
  try {
    const page = await openPage(browser, tutorial.url);
    const frame = await playgroundFrame(page, '#playground');
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
    assert.match(await frame.textContent('.pool-unavailable'), /not cross-origin isolated/);
    const trace = await frame.evaluate(() => window.playground.run({ strategy: 'asyncio.gather', requests: 2, latency_ms: 0 }));
    assert.equal(trace.chunks.length, 2);
    assert.equal(trace.isolated, false);
    await page.close();
  } finally {
    await tutorial.close();
  }
});
