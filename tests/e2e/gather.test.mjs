// End-to-end: asyncio.gather and sequential awaits, fetching the shipped files for real in
// Chromium. Playwright's routing holds each request for a chosen time (or answers 404, or
// never answers), so the timings below are controlled: with N requests held d ms each, a
// gather takes about d and sequential awaits about N·d, all on the page's one thread.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { launch, openPage, runInPage, serve, waitForPool, peakInFlight } from './harness.mjs';

const shots = new URL('./screenshots/', import.meta.url);
let browser;
let site;
let otherOrigin;

before(async () => {
  await mkdir(shots, { recursive: true });
  browser = await launch();
  site = await serve({ isolated: true });
  otherOrigin = await serve({ isolated: false });
});

after(async () => {
  await browser?.close();
  await site?.close();
  await otherOrigin?.close();
});

// Unref’d, so a route still holding a request does not keep the test process alive.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Routes the shipped files: `plan(r)` says what request `?r=r` gets: `{ delay }` (held that
 * long, then served), `{ delay, status }` (answered with that status) or `{ hang: true }`
 * (held 30 s). Returns the log of what the routes saw.
 */
async function routeFiles(page, plan) {
  const log = { seen: [], aborted: [] };
  page.on('requestfailed', (request) => {
    if (request.url().includes('/data/')) log.aborted.push(request.failure()?.errorText ?? '');
  });
  await page.route('**/data/**', async (route) => {
    const r = Number(new URL(route.request().url()).searchParams.get('r'));
    log.seen.push(r);
    const { delay = 0, status, hang = false } = plan(r);
    await sleep(hang ? 30_000 : delay);
    try {
      if (status) {
        await route.fulfill({ status, contentType: 'text/plain', body: 'no such file' });
      } else {
        await route.continue();
      }
    } catch {
      // The page aborted the request (timeout or Cancel) while the route held it.
    }
  });
  return log;
}

/** Waits (up to 3 s) until `condition()` holds: network events reach the test a little late. */
async function until(condition) {
  for (let waited = 0; !condition() && waited < 3000; waited += 50) await sleep(50);
  return condition();
}

async function freshPage(query = '') {
  const page = await openPage(browser, `${site.url}${query}`);
  await waitForPool(page);
  return page;
}


test('N requests held d ms each: gather takes about d, sequential about N·d, on one thread', async () => {
  const page = await freshPage();
  const n = 6;
  const d = 400;
  await routeFiles(page, () => ({ delay: d }));

  const gathered = await runInPage(page, { strategy: 'asyncio.gather', requests: n, latency_ms: 0 });
  assert.equal(gathered.strategy, 'asyncio.gather');
  assert.equal(gathered.workers, 1);
  assert.equal(gathered.chunks.length, n);
  assert.ok(gathered.chunks.every((c) => c.worker === 0 && c.thread === 0 && !c.error));
  assert.ok(gathered.wall_ms >= d && gathered.wall_ms < 2 * d, `gather took ${gathered.wall_ms} ms`);
  assert.equal(peakInFlight(gathered.chunks), n, 'all requests in flight at once');
  assert.deepEqual(gathered.results, [1024, 16384, 65536, 262144, 1024, 16384]);
  assert.equal(gathered.results_in_order, true);
  assert.equal(gathered.raised, null);
  assert.deepEqual(gathered.delivered, [0, 1, 2, 3, 4, 5]);
  assert.equal(await page.locator('.request-row').count(), n);
  assert.match(await page.textContent('#awaiter'), /got the whole list/);
  await page.screenshot({ path: new URL('gather.png', shots).pathname, fullPage: true });

  const sequential = await runInPage(page, { strategy: 'sequential', requests: n, latency_ms: 0 });
  assert.ok(
    sequential.wall_ms >= n * d && sequential.wall_ms < n * d * 1.6,
    `sequential took ${sequential.wall_ms} ms`,
  );
  assert.equal(peakInFlight(sequential.chunks), 1, 'one request at a time');
  for (let i = 1; i < n; i += 1) {
    assert.ok(sequential.chunks[i].start_ms >= sequential.chunks[i - 1].end_ms, `request ${i} waited for ${i - 1}`);
  }
  assert.deepEqual(sequential.results, gathered.results, 'same resources, same bytes');
  await page.screenshot({ path: new URL('sequential.png', shots).pathname, fullPage: true });
  assert.ok(sequential.wall_ms > 4 * gathered.wall_ms, `${sequential.wall_ms} vs ${gathered.wall_ms}`);
  console.log(`gather ${gathered.wall_ms.toFixed(0)} ms, sequential ${sequential.wall_ms.toFixed(0)} ms (${n} × ${d} ms)`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('added latency is a labelled timer before each body is read, and overlaps too', async () => {
  const page = await freshPage();
  const trace = await runInPage(page, { strategy: 'asyncio.gather', requests: 4, latency_ms: 500 });
  assert.ok(trace.chunks.every((c) => c.end_ms - c.start_ms >= 500), 'each request waited its latency');
  assert.ok(trace.wall_ms < 1000, `the latencies overlapped: ${trace.wall_ms} ms`);
  assert.ok(trace.notes.some((n) => /Added latency: the playground waits 500 ms/.test(n)));
  assert.match(await page.textContent('.requests figcaption'), /500 ms of latency added by the playground/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

/** Request 1 gets a 404 after 100 ms; request 2 never answers (timeout 1000 ms); others 300 ms. */
const faults = (r) => (r === 1 ? { delay: 100, status: 404 } : r === 2 ? { hang: true } : { delay: 300 });

test('return_exceptions=False: the first error is raised at once, the others keep running', async () => {
  const page = await freshPage();
  const log = await routeFiles(page, faults);
  const trace = await runInPage(page, {
    strategy: 'asyncio.gather', requests: 4, latency_ms: 0, timeout_ms: 1000, return_exceptions: false,
  });
  assert.equal(trace.raised, 'HTTP 404 Not Found');
  assert.deepEqual(trace.delivered, [1], 'the awaiter got request 1’s exception');
  const raisedAt = trace.delivered_ms[0];
  assert.ok(raisedAt >= 100 && raisedAt < 290, `raised at ${raisedAt} ms, before the others finished`);
  assert.equal(trace.chunks[1].error, 'HTTP 404 Not Found');
  // Nothing was cancelled: the others ran on and were recorded finishing after the raise.
  assert.equal(trace.chunks[0].error, undefined);
  assert.equal(trace.chunks[3].error, undefined);
  assert.ok(trace.chunks[0].end_ms > raisedAt && trace.chunks[3].end_ms > raisedAt);
  assert.match(trace.chunks[2].error, /^TimeoutError: not finished within 1000 ms/);
  assert.ok(trace.chunks[2].end_ms >= 1000 && trace.chunks[2].end_ms < 1500);
  assert.deepEqual(trace.results, [1024, 0, 0, 262144]);
  assert.deepEqual([...trace.arrived].sort(), [0, 1, 2, 3]);
  assert.equal(trace.arrived[0], 1, 'the 404 finished first');
  assert.equal(trace.arrived[3], 2, 'the timeout last');
  assert.ok(await until(() => log.aborted.length === 1), `the timed-out request was aborted: ${log.aborted}`);
  // On the page: the exception, and every request with its outcome.
  assert.match(await page.textContent('#awaiter'), /got an exception at .* HTTP 404 Not Found \(from request #1\)/);
  assert.equal(await page.getAttribute('.gathered-cell[data-position="1"]', 'data-outcome'), 'failed');
  assert.match(await page.textContent('.gathered-cell[data-position="2"]'), /TimeoutError/);
  assert.match(await page.textContent('.gathered-cell[data-position="3"]'), /262,144 bytes/);
  assert.match(await page.textContent('.gathered figcaption'), /not delivered/);
  await page.screenshot({ path: new URL('gather-raised.png', shots).pathname, fullPage: true });
  assert.deepEqual(page.problems.filter((p) => !/404/.test(p)), []);
  await page.close();
});

test('return_exceptions=True: each error takes its place in the list', async () => {
  const page = await freshPage();
  await routeFiles(page, faults);
  const trace = await runInPage(page, {
    strategy: 'asyncio.gather', requests: 4, latency_ms: 0, timeout_ms: 1000, return_exceptions: true,
  });
  assert.equal(trace.raised, null);
  assert.deepEqual(trace.delivered, [0, 1, 2, 3]);
  assert.ok(trace.delivered_ms.every((t) => t >= 1000), 'the list came once the timeout was done');
  assert.equal(trace.chunks[1].error, 'HTTP 404 Not Found');
  assert.match(trace.chunks[2].error, /^TimeoutError/);
  assert.deepEqual(trace.results, [1024, 0, 0, 262144]);
  assert.match(await page.textContent('.gathered-cell[data-position="1"]'), /HTTP 404 Not Found/);
  assert.match(await page.textContent('#awaiter'), /got the whole list/);
  assert.deepEqual(page.problems.filter((p) => !/404/.test(p)), []);
  await page.close();
});

test('sequential awaits leave at the first exception: the requests after it never start', async () => {
  const page = await freshPage();
  const log = await routeFiles(page, faults);
  const trace = await runInPage(page, { strategy: 'sequential', requests: 4, latency_ms: 0, timeout_ms: 1000 });
  assert.equal(trace.raised, 'HTTP 404 Not Found');
  assert.equal(trace.chunks[0].error, undefined);
  assert.match(trace.chunks[2].error, /^never started/);
  assert.match(trace.chunks[3].error, /^never started/);
  assert.deepEqual([...new Set(log.seen)].sort(), [0, 1], 'only requests 0 and 1 went out');
  assert.equal(await page.getAttribute('.request-row[data-position="3"]', 'data-outcome'), 'not-started');
  await page.close();
});

test('a semaphore of 2 keeps at most 2 requests in flight, admitted in argument order', async () => {
  const page = await freshPage();
  const d = 200;
  await routeFiles(page, () => ({ delay: d }));
  const trace = await runInPage(page, { strategy: 'asyncio.gather', requests: 6, latency_ms: 0, limit: 2 });
  assert.equal(peakInFlight(trace.chunks), 2);
  assert.equal(trace.metrics.peak_parallelism, 2);
  for (let i = 1; i < 6; i += 1) {
    assert.ok(trace.chunks[i].start_ms >= trace.chunks[i - 1].start_ms, 'FIFO admission');
  }
  assert.ok(trace.wall_ms >= 3 * d && trace.wall_ms < 3 * d * 1.8, `3 waves of ${d} ms took ${trace.wall_ms} ms`);
  assert.ok(await page.locator('.request-wait').count() >= 4, 'the waits for the semaphore are drawn');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('Cancel aborts every request in flight and the awaiter gets CancelledError', async () => {
  const page = await freshPage('?strategy=asyncio.gather&requests=5&latency_ms=0&limit=3');
  const log = await routeFiles(page, () => ({ hang: true }));
  await page.waitForFunction(() => window.playground?.run);
  const started = Date.now();
  await page.evaluate(() => {
    window.gatherRun = window.playground.run({ strategy: 'asyncio.gather', requests: 5, latency_ms: 0, limit: 3 });
  });
  await page.waitForSelector('#cancel', { timeout: 5000 });
  await sleep(300);
  await page.click('#cancel');
  const trace = await page.evaluate(() => window.gatherRun);
  assert.ok(Date.now() - started < 5000, 'the run ended at the Cancel, not at the routes’ 30 s');
  assert.equal(trace.raised, 'CancelledError');
  assert.ok(trace.wall_ms >= 250 && trace.wall_ms < 3000, `cancelled at ${trace.wall_ms} ms`);
  assert.deepEqual(trace.chunks.map((c) => c.error), [
    'cancelled', 'cancelled', 'cancelled',
    'cancelled while waiting for the semaphore', 'cancelled while waiting for the semaphore',
  ]);
  assert.ok(await until(() => log.aborted.length === 3), `aborted in the network: ${log.aborted}`);
  assert.ok(log.aborted.every((why) => /ABORTED/i.test(why)), String(log.aborted));
  assert.equal(await page.locator('#cancel').count(), 0, 'Cancel goes away with the run');
  assert.match(await page.textContent('#awaiter'), /CancelledError/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('bad URLs: ftp:// and javascript: are refused with a message; malformed and blocked URLs fail on their request', async () => {
  const page = await freshPage('?strategy=asyncio.gather');
  await page.fill('#urls', 'ftp://example.com/file');
  assert.match(
    await page.textContent('.field-error[data-key="urls"]'),
    /'ftp:\/\/example.com\/file' is not an http or https URL/,
  );
  assert.equal(await page.locator('#run').isEnabled(), false);
  await assert.rejects(
    runInPage(page, { strategy: 'asyncio.gather', urls: 'javascript:alert(1)' }),
    /not an http or https URL/,
  );

  // Another origin that sends no CORS header: the browser blocks it, and the page says why.
  const blocked = `${otherOrigin.url}data/1kb.txt`;
  const trace = await runInPage(page, {
    strategy: 'asyncio.gather', urls: `/data/16kb.txt http://[::1 ${blocked}`, latency_ms: 0, return_exceptions: true,
  });
  assert.equal(trace.chunks[0].error, undefined);
  assert.equal(trace.results[0], 16384);
  assert.match(trace.chunks[1].error, /^malformed URL 'http:\/\/\[::1'/);
  assert.match(trace.chunks[2].error, /the browser blocked it: the server sends no CORS header/);
  assert.match(await page.textContent('.gathered-cell[data-position="2"]'), /no CORS header/);
  assert.ok(page.problems.every((p) => /CORS|Failed to load|ERR_FAILED/i.test(p)), page.problems.join('\n'));
  await page.close();
});
