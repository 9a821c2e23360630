// End-to-end: the playground as served, in Debian's Chromium, used as a person would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openPage, runInPage, serve, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let isolatedSite;

before(async () => ({ browser, site: isolatedSite } = await startBrowserAndSite()));
after(() => stopBrowserAndSite(browser, isolatedSite));

/** Two chunks overlap when each starts before the other ends. */
function overlapping(a, b) {
  return a.start_ms < b.end_ms && b.start_ms < a.end_ms;
}

test('the page loads with no error, is cross-origin isolated and starts its workers', async () => {
  const page = await openPage(browser, isolatedSite.url);
  await waitForPool(page);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.match(await page.textContent('.pool-ready'), /Cross-origin isolated: yes\. 16 Web Workers ready/);
  assert.equal(await page.locator('#run').isEnabled(), true);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the seed example (14 items, 5 workers, chunksize 3) splits and gathers as CPython does', async () => {
  const page = await openPage(browser, `${isolatedSite.url}?strategy=Pool.map&workers=5&items=14&chunksize=3&cost=2000`);
  await waitForPool(page);
  await page.click('#run');
  await page.waitForSelector('.run');
  const lens = await page.$$eval('.split .cell', (cells) => cells.map((c) => Number(c.dataset.len)));
  assert.deepEqual(lens, [3, 3, 3, 3, 2]);
  const labels = await page.$$eval('.split .cell', (cells) => cells.map((c) => c.textContent));
  assert.deepEqual(labels, ['1 2 3', '4 5 6', '7 8 9', '10 11 12', '13 14']);
  assert.equal(
    await page.textContent('#results-preview'),
    '[1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196]',
  );
  assert.match(await page.textContent('.results'), /equals a sequential map/);
  assert.equal(await page.locator('.gather .cell').count(), 5);
  await page.screenshot({ path: new URL('seed-example.png', shots).pathname, fullPage: true });
  // Pointing at a box says which task it is (the lanes scrolled into view first).
  await page.locator('#lanes').scrollIntoViewIfNeeded();
  const lanes = await page.locator('#lanes').boundingBox();
  const trace = await runInPage(page, { strategy: 'Pool.map', workers: 5, items: 14, chunksize: 3, cost: 2000 });
  const chunk = trace.chunks[4];
  const span = Math.max(trace.wall_ms, ...trace.chunks.map((c) => c.end_ms));
  const x = 118 + ((chunk.start_ms + chunk.end_ms) / 2 / span) * (lanes.width - 118 - 8);
  await page.mouse.move(lanes.x + x, lanes.y + chunk.worker * 30 + 12);
  assert.match(await page.textContent('#lanes-tooltip'), new RegExp(`^task 4 · items 13–14 · worker ${chunk.worker} `));
  await page.mouse.move(0, 0);
  assert.equal(await page.locator('#lanes-tooltip').count(), 0);
  const wide = await page.evaluate(() => document.querySelector('#lanes').width);
  await page.setViewportSize({ width: 700, height: 900 });
  await page.waitForFunction((before) => document.querySelector('#lanes').width < before, wide);
  const drawn = await page.evaluate(() => {
    const lanes = document.querySelector('#lanes');
    return { width: lanes.width, shown: Math.floor(lanes.clientWidth * devicePixelRatio) };
  });
  assert.equal(drawn.width, drawn.shown, 'the lanes are redrawn at the new width, not stretched');
  await page.setViewportSize({ width: 1200, height: 900 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-trace')]);
  assert.equal(download.suggestedFilename(), 'trace.json');
  const saved = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.deepEqual(saved.chunks.map((c) => c.len), [3, 3, 3, 3, 2]);
  assert.deepEqual(saved.results, [1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196]);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a 2-worker run really runs chunks on 2 threads at overlapping times', async () => {
  const page = await openPage(browser, `${isolatedSite.url}?workers=2&items=24&chunksize=1&cost=60000`);
  await waitForPool(page);
  // The first run starts the pool's processes; one may take every short chunk before the
  // other is ready. Once started, a pool is reused.
  await runInPage(page, { workers: 2, items: 2, chunksize: 1, cost: 10 });
  await page.click('#run');
  await page.waitForSelector('.run', { timeout: 60_000 });
  assert.match(await page.textContent('[data-figure="threads"]'), /^2 \(most at once: 2\)/);

  const trace = await runInPage(page, { workers: 2, items: 24, chunksize: 1, cost: 60000 });
  assert.equal(trace.workers, 2);
  assert.equal(trace.isolated, true);
  assert.equal(trace.chunks.length, 24);
  const threads = new Set(trace.chunks.map((c) => c.thread));
  assert.equal(threads.size, 2, `threads used: ${[...threads]}`);
  assert.deepEqual(new Set(trace.chunks.map((c) => c.worker)), new Set([0, 1]));
  const zero = trace.chunks.filter((c) => c.worker === 0);
  const one = trace.chunks.filter((c) => c.worker === 1);
  assert.ok(zero.some((a) => one.some((b) => overlapping(a, b))), 'some chunks of the two workers overlap in time');
  assert.equal(trace.results_in_order, true);
  assert.equal(trace.metrics.peak_parallelism, 2);
  assert.ok(trace.baseline_wall_ms > 0 && trace.metrics.speedup > 0);
  await page.screenshot({ path: new URL('two-workers.png', shots).pathname, fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('chunks are handed out in FIFO order: each chunk is handed out no earlier than the one before it', async () => {
  const page = await openPage(browser, isolatedSite.url);
  const trace = await runInPage(page, { workers: 3, items: 100, cost: 3000 });
  assert.equal(trace.chunksize, 9, 'default rule: ceil(100 / (3 × 4)) = 9');
  assert.deepEqual(trace.chunks.map((c) => c.len), [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1]);
  // Handed out = written to a process (`queue_ms`); a process may read a chunk written
  // ahead into its pipe after another process started on a later one.
  assert.ok(trace.chunks.every((c) => Number.isFinite(c.queue_ms)), 'Pool.map runs on processes');
  for (let i = 1; i < trace.chunks.length; i += 1) {
    assert.ok(trace.chunks[i].queue_ms >= trace.chunks[i - 1].queue_ms, `chunk ${i} handed out after chunk ${i - 1}`);
  }
  assert.deepEqual([...trace.arrived].sort((a, b) => a - b), trace.chunks.map((c) => c.index));
  assert.deepEqual(trace.delivered, trace.chunks.map((c) => c.index));
  assert.equal(trace.results.length, 100);
  assert.equal(trace.checksum, (100 * 101 * 201) / 6);
  // The run through the API shows on the page too, controls included.
  assert.equal(await page.inputValue('#workers'), '3');
  assert.equal(await page.textContent('[data-key="chunksize"]'), '9 (default: ceil(100 / (3 × 4)))');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('served from a sub-path of a static host, the playground loads and runs', async () => {
  const subPath = await serve({ isolated: true, prefix: '/tutorials/playground/' });
  try {
    const page = await openPage(browser, `${subPath.url}?workers=2&items=14&chunksize=3`);
    await waitForPool(page);
    const trace = await runInPage(page, { workers: 2, items: 14, chunksize: 3, cost: 2000 });
    assert.deepEqual(trace.chunks.map((c) => c.len), [3, 3, 3, 3, 2]);
    assert.match(page.url(), /\/tutorials\/playground\/\?strategy=Pool.map&workers=2/);
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await subPath.close();
  }
});

test('URL parameters set the controls, and edits keep the URL in step', async () => {
  const page = await openPage(browser, `${isolatedSite.url}?strategy=Pool.map&workers=5&items=14&chunksize=3&cost=123`);
  await waitForPool(page);
  assert.equal(await page.inputValue('#workers'), '5');
  assert.equal(await page.inputValue('#items'), '14');
  assert.equal(await page.inputValue('#chunksize'), '3');
  assert.equal(await page.inputValue('#cost'), '123');
  assert.equal(await page.inputValue('#strategy'), 'Pool.map');
  await page.fill('#chunksize', '');
  assert.equal(await page.textContent('[data-key="chunksize"]'), '1 (default: ceil(14 / (5 × 4)))');
  assert.equal(await page.inputValue('#cost-slider'), '209', 'the slider sits at log10(123 + 1)');
  await page.locator('#cost-slider').fill('430');
  assert.equal(await page.inputValue('#cost'), '20000', 'the cost slider sets round values');
  assert.equal(await page.textContent('[data-key="cost"]'), 'count the primes below 20,000');
  await page.fill('#cost', '123');
  await page.fill('#workers', '2');
  await page.waitForFunction(() => location.search.includes('workers=2'));
  assert.equal(new URL(page.url()).search, '?strategy=Pool.map&workers=2&items=14&cost=123');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('bad input in the URL and the controls gets a clear message and does not run', async () => {
  const page = await openPage(browser, `${isolatedSite.url}?workers=0&items=abc&chunksize=-3`);
  await waitForPool(page);
  assert.equal(await page.textContent('.field-error[data-key="workers"]'), 'CPython refuses it: multiprocessing.Pool(0) raises ValueError: Number of processes must be at least 1. Workers must be a whole number from 1 to 16');
  assert.match(await page.textContent('.field-error[data-key="items"]'), /'abc' is not a whole number/);
  assert.match(await page.textContent('.field-error[data-key="chunksize"]'), /'-3' is not a whole number/);
  assert.equal(await page.locator('#run').isDisabled(), true);
  await page.fill('#workers', '2');
  await page.fill('#items', '2000000');
  assert.equal(await page.textContent('.field-error[data-key="items"]'), 'Items must be a whole number from 1 to 1,000,000');
  await page.fill('#items', '1000000');
  await page.fill('#chunksize', '1');
  // A task per item is allowed, up to a million: the drawing is aggregated to the pixels.
  assert.equal(await page.locator('.field-error[data-key="chunksize"], .field-error[data-key="items"]').count(), 0, 'a million tasks of chunk size 1 may run');
  await page.fill('#chunksize', '');
  await page.fill('#cost', '1000000');
  assert.match(await page.textContent('.field-error[data-key="run"]'), /This run is too big: 1,000,000 items at this cost would take about \d+ minutes on one worker/);
  assert.equal(await page.locator('#run').isDisabled(), true);
  await page.screenshot({ path: new URL('bad-input.png', shots).pathname, fullPage: true });
  await assert.rejects(runInPage(page, { workers: 99 }), /workers: CPython would start 99 processes; the page runs at most 16 workers at once \(its pool of Web Workers\)\. Workers must be a whole number from 1 to 16 \(not 99\)/);
  await assert.rejects(runInPage(page, { wrokers: 2 }), /unknown option 'wrokers'/);
  await assert.rejects(runInPage(page, { strategy: 'Pool.zap' }), /unknown strategy 'Pool.zap'/);
  await assert.rejects(runInPage(page, 'workers=2'), /config must be an object/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the page stays responsive while a run computes', async () => {
  const page = await openPage(browser, `${isolatedSite.url}?workers=2&items=400&chunksize=1&cost=120000`);
  await waitForPool(page);
  await page.click('#run');
  await page.waitForSelector('.status');
  const frames = await page.evaluate(() => new Promise((resolve) => {
    let count = 0;
    const start = performance.now();
    const tick = () => {
      count += 1;
      if (performance.now() - start < 500) requestAnimationFrame(tick);
      else resolve(count);
    };
    requestAnimationFrame(tick);
  }));
  assert.ok(await page.locator('.status').count() === 1, 'still running while frames were counted');
  assert.ok(frames >= 10, `only ${frames} frames in 500 ms during a run`);
  await page.waitForSelector('.run', { timeout: 120_000 });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the largest runs are recorded and drawn without freezing the page', async () => {
  const page = await openPage(browser, isolatedSite.url);
  await waitForPool(page);
  // Only a summary crosses back to the test: Playwright is slow to copy a 200,000-task trace.
  const summarise = (config) => page.evaluate(async (c) => {
    const t = await window.playground.run(c);
    return { chunks: t.chunks.length, results: t.results, in_order: t.results_in_order, checksum: t.checksum, wall_ms: t.wall_ms };
  }, config);
  await page.waitForFunction(() => window.playground?.run);
  const started = Date.now();
  const tasks = await summarise({ strategy: 'queue.Queue', workers: 2, items: 200000, cost: 0, gil: false });
  assert.equal(tasks.chunks, 200000);
  assert.equal(tasks.results, null, 'results above 10,000 items are summed into the checksum');
  assert.equal(tasks.in_order, true);
  assert.ok(await page.locator('.split .cell').count() <= 240, 'the strips are binned');
  const rayon = await summarise({ strategy: 'rayon.par_iter', workers: 2, items: 1000000, cost: 0 });
  assert.equal(rayon.checksum, Number((1000000n * 1000001n * 2000001n / 6n) % (1n << 53n)));
  assert.ok(Date.now() - started < 20_000, `both runs, recorded and drawn, in ${Date.now() - started} ms`);
  // The page still answers promptly after drawing both.
  const frameAsked = Date.now();
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  assert.ok(Date.now() - frameAsked < 1000);
  await page.screenshot({ path: new URL('large-run.png', shots).pathname, fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a page that is not cross-origin isolated says so, runs no threads, and still runs the processes and the fetches', async () => {
  const plain = await serve({ isolated: false });
  try {
    const page = await openPage(browser, plain.url);
    await page.waitForSelector('.pool-unavailable', { timeout: 30_000 });
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    assert.match(await page.textContent('.pool-unavailable'), /not cross-origin isolated/);
    assert.match(await page.textContent('.pool-unavailable'), /process strategies \(multiprocessing.Pool, ProcessPoolExecutor\) still run/);
    await page.selectOption('#strategy', 'ThreadPoolExecutor.map');
    assert.equal(await page.locator('#run').isDisabled(), true, 'no thread strategy runs');
    await assert.rejects(runInPage(page, { strategy: 'ThreadPoolExecutor.map', workers: 2 }), /not cross-origin isolated/);
    // Processes share no memory: Pool.map runs, on processes.
    await page.selectOption('#strategy', 'Pool.map');
    assert.equal(await page.locator('#run').isEnabled(), true, 'Pool.map runs on processes');
    const pool = await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 14, chunksize: 3, cost: 1000 });
    assert.equal(pool.isolated, false);
    assert.equal(pool.results_in_order, true);
    assert.deepEqual(pool.processes.started_by_run, [true, true]);
    // The fetch strategies need no worker: they still run, and say the page was not isolated.
    await page.selectOption('#strategy', 'asyncio.gather');
    await page.fill('#latency_ms', '0');
    assert.equal(await page.locator('#run').isEnabled(), true);
    await page.click('#run');
    await page.waitForSelector('.run[data-strategy="asyncio.gather"]', { timeout: 30_000 });
    const trace = await runInPage(page, { strategy: 'asyncio.gather', requests: 3, latency_ms: 0 });
    assert.equal(trace.isolated, false);
    assert.equal(trace.raised, null);
    await page.screenshot({ path: new URL('not-isolated.png', shots).pathname, fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await plain.close();
  }
});
