// Static hosting without the isolation headers (GitHub Pages): the page's same-origin copy of
// coi-serviceworker registers, reloads the page once, and the page is cross-origin isolated,
// so the thread strategies run. Where the headers are sent it does nothing, and inside an
// iframe it neither registers nor reloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { launch, openPage, serve, waitForPool } from './harness.mjs';

const shots = new URL('./screenshots/', import.meta.url);
let browser;
let plain;
let withHeaders;

before(async () => {
  await mkdir(shots, { recursive: true });
  browser = await launch();
  plain = await serve({ isolated: false, coi: true, prefix: '/playground/' });
  withHeaders = await serve({ isolated: true });
});

after(async () => {
  await browser?.close();
  await plain?.close();
  await withHeaders?.close();
});

/** Counts the loads of a page's main frame (its first, and each reload) from before the
 * first: pass `setup` to openPage. */
function loadCounter() {
  const loads = { count: 0 };
  // The main frame's document requests: the service worker may reload the page before its
  // first `load` event fires, so loads are counted as requests, not `load` events.
  loads.setup = (page) => page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) loads.count += 1;
  });
  return loads;
}

/** Waits until `check` holds in the page, across reloads. */
async function eventually(page, check, timeout = 30_000) {
  const until = Date.now() + timeout;
  for (;;) {
    const holds = await page.evaluate(check).catch(() => false);
    if (holds) return;
    if (Date.now() > until) throw new Error(`not within ${timeout} ms: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const threadRun = { strategy: 'ThreadPoolExecutor.map', workers: 2, items: 8, cost: 20000, gil: false };

test('on a host without the headers, the service worker isolates the page once and threads run', async () => {
  const loads = loadCounter();
  const page = await openPage(browser, plain.url, { viewport: { width: 1280, height: 900 }, setup: loads.setup });
  await eventually(page, () => self.crossOriginIsolated === true && navigator.serviceWorker.controller !== null);
  const response = await page.evaluate(() => fetch(location.href).then((r) => r.headers.get('cross-origin-embedder-policy')));
  assert.equal(response, 'require-corp', 'the worker adds COEP to the page\'s responses');
  await page.waitForSelector('.pool-ready', { timeout: 30_000 });
  const trace = await page.evaluate((c) => window.playground.run(c, { baseline: false }), threadRun);
  assert.equal(trace.isolated, true);
  assert.equal(trace.strategy, 'ThreadPoolExecutor.map');
  assert.equal(trace.chunks.length, 8);
  assert.ok(new Set(trace.chunks.map((c) => c.worker)).size >= 1);
  // One reload, not a loop: wait a while and count again.
  await page.waitForTimeout(2_000);
  assert.equal(loads.count, 2, 'the page loaded, then reloaded once, isolated');
  const scope = await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((rs) => rs.map((r) => r.scope)));
  assert.deepEqual(scope, [plain.url], 'registered for the page\'s own folder');
  await page.screenshot({ path: new URL('coi-isolated-1280.png', shots).pathname });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('where the headers are sent, the service worker does nothing', async () => {
  const loads = loadCounter();
  const page = await openPage(browser, withHeaders.url, { setup: loads.setup });
  await waitForPool(page);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  await page.waitForTimeout(2_000);
  assert.equal(loads.count, 1, 'no reload');
  const registrations = await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((rs) => rs.length));
  assert.equal(registrations, 0);
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null);
  await page.close();
});

/** A tutorial page on another origin (localhost, not isolated) embedding `src`. */
async function tutorialPage(src) {
  const html = `<!DOCTYPE html><title>tutorial</title>
<iframe id="playground" allow="cross-origin-isolated" width="800" height="800" src="${src}"></iframe>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://localhost:${server.address().port}/`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('inside an iframe on a host that is not isolated, it neither registers nor reloads', async () => {
  const tutorial = await tutorialPage(plain.url);
  const host = await openPage(browser, tutorial.url, { viewport: { width: 900, height: 900 } });
  try {
    const frame = await (await host.waitForSelector('#playground')).contentFrame();
    await frame.waitForSelector('.pool-ready, .pool-unavailable', { timeout: 30_000 });
    // A reload would be a navigation of type "reload", and would lose this mark.
    await frame.evaluate(() => { window.loadedOnce = true; });
    await host.waitForTimeout(3_000);
    assert.equal(await frame.evaluate(() => window.loadedOnce === true), true, 'the iframe did not reload');
    assert.equal(await frame.evaluate(() => performance.getEntriesByType('navigation')[0].type), 'navigate');
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
    // No worker controls it, and none was tried: a try would log that it failed (a third-party
    // iframe may not register one), and the page's console errors are checked below.
    assert.equal(await frame.evaluate(() => navigator.serviceWorker?.controller ?? null), null);
    // Processes still run there.
    const trace = await frame.evaluate(() => window.playground.run({ strategy: 'Pool.map', workers: 2, items: 4, cost: 10 }, { baseline: false }));
    assert.equal(trace.isolated, false);
    assert.equal(trace.chunks.length, 4);
    assert.deepEqual(host.problems, []);
    await host.close();
  } finally {
    await tutorial.close();
  }
});
