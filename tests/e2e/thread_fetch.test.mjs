// End-to-end: the fetch workload of the thread strategies. Each task downloads the shipped
// file of its request, blocking its Web Worker while the page fetches it (requests.get in a
// Python thread). Playwright's routing holds each request a chosen time (or answers 404), so
// with N requests held d ms each: 4 threads take about ⌈N/4⌉·d even with the GIL on (it is
// released while a request is in flight), asyncio.gather on one event loop about d, and
// sequential awaits about N·d.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, peakInFlight, runInPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const sizes = (n) => Array.from({ length: n }, (_, i) => [1024, 16384, 65536, 262144][i % 4]);

/**
 * Routes the shipped files: `plan(r)` says what request `?r=r` gets: `{ delay }` (held that
 * long, then served) or `{ delay, status }` (answered with that status). Set before the page
 * loads, so that the routes also see the requests of its Web Workers (Chromium routes only
 * the workers started after the route). Returns the page and the request numbers it saw.
 */
async function routedPage(plan) {
  const seen = [];
  const setup = (page) => page.route('**/data/**', async (route) => {
    const r = Number(new URL(route.request().url()).searchParams.get('r'));
    seen.push(r);
    const { delay = 0, status } = plan(r);
    await sleep(delay);
    if (status) {
      await route.fulfill({ status, contentType: 'text/plain', body: 'no such file' });
    } else {
      await route.continue();
    }
  });
  const page = await openPage(browser, site.url, { setup });
  await waitForPool(page);
  return { page, seen };
}


test('8 requests held 300 ms: 4 threads (GIL on) take about 2 × 300 ms, gather about 300, sequential about 8 × 300', async () => {
  const n = 8;
  const d = 300;
  const { page, seen } = await routedPage(() => ({ delay: d }));

  const threads = await runInPage(page, {
    strategy: 'ThreadPoolExecutor.map', workers: 4, items: n, workload: 'fetch', gil: true, cost: 0,
  });
  assert.equal(threads.workload, 'fetch');
  assert.equal(threads.gil, true);
  assert.deepEqual(threads.results, sizes(n), 'each task returns the bytes its request received');
  assert.equal(threads.results_in_order, true);
  assert.ok(threads.chunks.every((c) => !c.error && c.end_ms - c.start_ms >= d), 'each task blocked on its request');
  assert.equal(new Set(threads.chunks.map((c) => c.thread)).size, 4, 'on 4 Web Workers');
  assert.equal(peakInFlight(threads.chunks), 4, 'four requests in flight at once, GIL on');
  assert.ok(threads.wall_ms >= 2 * d && threads.wall_ms < 2 * d * 1.8, `4 threads took ${threads.wall_ms} ms`);
  // The baseline: the same requests one after another on 1 thread.
  assert.ok(
    threads.baseline_wall_ms >= n * d && threads.baseline_wall_ms < n * d * 1.5,
    `1 thread took ${threads.baseline_wall_ms} ms`,
  );
  assert.ok(threads.metrics.speedup > 2.5 && threads.metrics.speedup < 4.5, `speed-up ${threads.metrics.speedup}`);
  assert.ok(threads.notes.some((note) => /blocks until its request is back/.test(note)));
  assert.equal(seen.length, n + n, 'every request went out, for the run and for its baseline');

  // What the page shows agrees with the trace.
  const figure = async (name) => page.textContent(`[data-figure="${name}"]`);
  const grouped = (ms) => ms.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  assert.equal(await figure('wall'), `${grouped(threads.wall_ms)} ms`);
  assert.match(await figure('speedup'), new RegExp(`^${threads.metrics.speedup.toFixed(2)}× over the sequential run on 1 worker \\(${grouped(threads.baseline_wall_ms)} ms, measured right after this run\\)`));
  assert.match(await page.textContent('.run h2'), /ThreadPoolExecutor.map on 4 workers: 8 requests, one task each/);
  assert.match(await page.textContent('.split figcaption'), /8 requests, one task each/);
  assert.deepEqual(await page.locator('.split .cell span').allTextContents(), ['0', '1', '2', '3', '4', '5', '6', '7'], 'requests numbered as in the lanes');
  assert.match(await page.textContent('.lanes figcaption'), /each box is a request/);
  assert.match(await page.textContent('#results-preview'), /\[1024, 16384, 65536, 262144, 1024, 16384, 65536, 262144\]/);
  assert.match(await page.textContent('.gather .results'), /each request's bytes in its place/);
  assert.match(await page.textContent('#python'), /executor\.map\(get_size, URLS\)/);
  await page.screenshot({ path: new URL('thread-fetch.png', shots).pathname, fullPage: true });

  const gathered = await runInPage(page, { strategy: 'asyncio.gather', requests: n, latency_ms: 0 });
  assert.deepEqual(gathered.results, threads.results, 'the same resources, the same bytes');
  assert.ok(gathered.wall_ms >= d && gathered.wall_ms < 2 * d, `gather took ${gathered.wall_ms} ms`);
  const sequential = await runInPage(page, { strategy: 'sequential', requests: n, latency_ms: 0 });
  assert.deepEqual(sequential.results, threads.results);
  assert.ok(sequential.wall_ms >= n * d && sequential.wall_ms < n * d * 1.5, `sequential took ${sequential.wall_ms} ms`);
  assert.ok(gathered.wall_ms < threads.wall_ms && threads.wall_ms < sequential.wall_ms / 2.5);
  console.log(
    `${n} × ${d} ms: 4 threads ${threads.wall_ms.toFixed(0)} ms (1 thread ${threads.baseline_wall_ms.toFixed(0)} ms), ` +
      `gather ${gathered.wall_ms.toFixed(0)} ms, sequential ${sequential.wall_ms.toFixed(0)} ms`,
  );
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('Stop frees a thread blocked on a request that never answers; a failed request is never re-sent for the baseline', async () => {
  // Request 3 never answers (held far longer than the test); the others take 100 ms.
  const { page, seen } = await routedPage((r) => (r === 3 ? { delay: 600_000 } : { delay: 100 }));
  const { trace, stop_ms } = await page.evaluate(async () => {
    const running = window.playground.run({ strategy: 'ThreadPoolExecutor.map', workers: 4, items: 8, workload: 'fetch', gil: true });
    await new Promise((r) => setTimeout(r, 800));
    const asked = performance.now();
    window.playground.cancel();
    const trace = await running;
    return { trace, stop_ms: performance.now() - asked };
  });
  assert.ok(stop_ms < 200, `settled ${stop_ms.toFixed(0)} ms after cancel()`);
  assert.equal(trace.stopped, true);
  assert.equal(trace.chunks.find((c) => c.first_item === 3)?.stopped, true, 'the hung request was cut short');
  // The pool is free at once: every worker takes part in the next run.
  const next = await runInPage(page, { strategy: 'ThreadPoolExecutor.map', workers: 4, items: 4, workload: 'fetch', cost: 0 });
  assert.equal(next.results_in_order, true);
  assert.equal(new Set(next.chunks.map((c) => c.thread)).size, 4);

  // A run with a failed request gets no baseline: the request is not sent again.
  const { page: failing, seen: sent } = await routedPage((r) => (r === 1 ? { status: 500 } : { delay: 20 }));
  const failed = await runInPage(failing, { strategy: 'ThreadPoolExecutor.map', workers: 2, items: 6, workload: 'fetch' });
  assert.equal(failed.chunks[1].error, 'HTTP 500 Internal Server Error');
  assert.equal(failed.baseline_wall_ms, null);
  assert.equal(sent.filter((r) => r === 1).length, 1, 'the failed request went out once');
  assert.match(await failing.textContent('[data-figure="speedup"]'), /not measured: a request failed/);
  assert.ok(seen.length >= 4);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(failing.problems.filter((p) => !/500/.test(p)), []);
  await page.close();
  await failing.close();
});

test('a 404 on one request is that task\'s error; the other requests succeed', async () => {
  const { page } = await routedPage((r) => (r === 2 ? { delay: 50, status: 404 } : { delay: 100 }));
  const trace = await runInPage(page, { strategy: 'queue.Queue', workers: 2, items: 6, workload: 'fetch', cost: 0 });
  assert.equal(trace.chunks[2].error, 'HTTP 404 Not Found');
  assert.ok(trace.chunks.every((c, i) => i === 2 || c.error === undefined), JSON.stringify(trace.chunks));
  assert.deepEqual(trace.results, [1024, 16384, 0, 262144, 1024, 16384]);
  assert.equal(trace.results_in_order, true, 'each place holds its own request\'s outcome');
  assert.equal(trace.raised, null);
  assert.deepEqual(
    await page.$$eval('.gather .cell', (cells) => cells.map((c) => c.classList.contains('failed'))),
    [false, false, true, false, false, false],
  );
  assert.match(await page.textContent('#task-errors'), /^task 2 failed: HTTP 404 Not Found$/);
  await page.screenshot({ path: new URL('thread-fetch-404.png', shots).pathname, fullPage: true });
  assert.deepEqual(page.problems.filter((p) => !/404/.test(p)), []);
  await page.close();
});

test('the workload picker offers fetch on thread strategies and refuses it on Pool.map', async () => {
  const { page } = await routedPage(() => ({}));
  for (const strategy of ['ThreadPoolExecutor.map', 'threading.Thread', 'queue.Queue']) {
    await page.selectOption('#strategy', strategy);
    const choices = await page.locator('#workload option').allTextContents();
    assert.deepEqual(choices, ['cpu', 'io', 'fetch'], strategy);
  }
  await page.selectOption('#workload', 'fetch');
  assert.equal(await page.locator('.field-error[data-key="workload"]').count(), 0);
  assert.match(await page.textContent('.field-error[data-key="items"]'), /one request per item: use at most 64 items/);
  await page.fill('#items', '8');
  assert.match(await page.textContent('.field-note[data-key="cost"]'), /latency added to each request/);
  assert.match(await page.textContent('#python'), /results\[i\] = get_size\(x\)/);
  assert.equal(await page.locator('#run').isEnabled(), true);

  // Pool.map does not run fetch: the picker no longer offers it (tests/e2e/truth.test.mjs).
  await page.selectOption('#strategy', 'Pool.map');
  assert.equal(await page.inputValue('#workload'), 'cpu');
  await assert.rejects(
    runInPage(page, { strategy: 'rayon.par_iter', workload: 'fetch' }),
    /rayon.par_iter does not run fetch/,
  );
  assert.deepEqual(page.problems, []);
  await page.close();
});
