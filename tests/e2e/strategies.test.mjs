// End-to-end: every task strategy on 2 workers, as served, in Debian's Chromium. Each test
// checks the strategy's signature in the trace the page recorded, and what the page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, runInPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
let page;

before(async () => {
  ({ browser, site } = await startBrowserAndSite());
  page = await openPage(browser, site.url);
  await waitForPool(page);
});

after(async () => {
  assert.deepEqual(page?.problems ?? [], [], 'no page or console error during the strategy runs');
  await stopBrowserAndSite(browser, site);
});

const squares = (n) => Array.from({ length: n }, (_, i) => (i + 1) ** 2);
const run = (config) => runInPage(page, config);
const isSorted = (xs) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

test('Pool.map: chunks taken from one FIFO queue in input order, list delivered at the end', async () => {
  const t = await run({ strategy: 'Pool.map', workers: 2, items: 40, chunksize: 3, cost: 8000 });
  assert.deepEqual(t.chunks.map((c) => c.len), [...Array(13).fill(3), 1]);
  // Taken = written to a process (`queue_ms`): a process may start a chunk written ahead into
  // its pipe after another process started on a later one.
  assert.ok(isSorted(t.chunks.map((c) => c.queue_ms)), 'chunk i is taken no earlier than chunk i-1');
  assert.deepEqual(t.delivered, t.chunks.map((c) => c.index));
  assert.equal(new Set(t.delivered_ms).size, 1, 'the whole list reaches the caller at once');
  assert.deepEqual(t.results, squares(40));
  // Pickling a few integers takes microseconds; a large chunk makes it measurable.
  const big = await run({ strategy: 'Pool.map', workers: 2, items: 40000, chunksize: 10000, cost: 0 });
  assert.ok(big.chunks.every((c) => c.transfer_ms > 0), 'arguments and results are pickled');
  assert.ok(big.metrics.sum_task_ms >= big.chunks.reduce((sum, c) => sum + c.transfer_ms, 0));
});

test('Pool.map_async and Pool.starmap give the map result; starmap pickles argument tuples', async () => {
  const mapAsync = await run({ strategy: 'Pool.map_async', workers: 2, items: 30, cost: 2000 });
  assert.equal(mapAsync.chunksize, 4, 'default rule: ceil(30 / (2 × 4))');
  assert.deepEqual(mapAsync.results, squares(30));
  const starmap = await run({ strategy: 'Pool.starmap', workers: 2, items: 30, cost: 2000 });
  assert.deepEqual(starmap.results, squares(30));
  assert.equal(starmap.chunks.length, 8);
});

test('Pool.imap releases results in input order; an early chunk waits for a slow earlier one', async () => {
  const t = await run({ strategy: 'Pool.imap', workers: 2, items: 40, cost: 20000, shape: 'straggler' });
  assert.equal(t.chunksize, 1, 'imap defaults to chunksize 1');
  assert.deepEqual(t.delivered, [...Array(40).keys()]);
  const first = t.chunks[0];
  assert.notEqual(t.arrived[0], 0, 'the straggler (item 1) is not the first to arrive');
  assert.ok(t.delivered_ms.every((at) => at >= first.end_ms), 'nothing is released before item 1 is back');
  assert.ok(isSorted(t.delivered_ms));
});

test('Pool.imap_unordered releases results in completion order', async () => {
  const t = await run({ strategy: 'Pool.imap_unordered', workers: 2, items: 40, cost: 40000, shape: 'straggler' });
  assert.deepEqual(t.delivered, t.arrived, 'delivered in arrival order');
  assert.notEqual(t.delivered[0], 0, 'the straggler (item 1) is not the first result');
  assert.notDeepEqual(t.delivered, [...Array(40).keys()]);
  const ends = t.delivered.map((i) => t.chunks[i].end_ms);
  assert.ok(isSorted(ends), 'in order of completion');
});

test('Pool.apply_async runs one task per call, collected in order', async () => {
  const t = await run({ strategy: 'Pool.apply_async', workers: 2, items: 9, cost: 4000 });
  assert.deepEqual(t.chunks.map((c) => c.len), Array(9).fill(1));
  assert.deepEqual(t.delivered, [...Array(9).keys()]);
  assert.deepEqual(t.results, squares(9));
});

test('ProcessPoolExecutor.map feeds a call queue of max_workers + 1 from pending work items', async () => {
  const t = await run({ strategy: 'ProcessPoolExecutor.map', workers: 2, items: 20, cost: 6000 });
  assert.equal(t.chunks.length, 20, 'chunksize 1 by default');
  const [start] = t.queue_depth;
  assert.deepEqual([start.queued, start.pending], [3, 17], 'call queue of 3, 17 pending at the start');
  assert.ok(t.queue_depth.every((s) => s.queued <= 3));
  assert.deepEqual(t.delivered, [...Array(20).keys()]);
  const batched = await run({ strategy: 'ProcessPoolExecutor.map', workers: 2, items: 20, chunksize: 3, cost: 6000 });
  assert.deepEqual(batched.chunks.map((c) => c.len), [3, 3, 3, 3, 3, 3, 2]);
});

test('ThreadPoolExecutor.map: one task per item, no pickling, results in order', async () => {
  const t = await run({ strategy: 'ThreadPoolExecutor.map', workers: 2, items: 25, cost: 30000, gil: false });
  assert.equal(t.chunks.length, 25);
  assert.ok(t.chunks.every((c) => c.len === 1 && c.transfer_ms === 0));
  assert.deepEqual(t.delivered, [...Array(25).keys()]);
  assert.equal(new Set(t.chunks.map((c) => c.thread)).size, 2);
  // CPython's Executor.map takes chunksize and ThreadPoolExecutor ignores it: so does the page.
  const ignored = await run({ strategy: 'ThreadPoolExecutor.map', workers: 2, items: 6, chunksize: 3, cost: 2000 });
  assert.deepEqual(ignored.chunks.map((c) => c.len), Array(6).fill(1), 'one item per task, chunksize ignored');
  assert.deepEqual(ignored.results, squares(6));
});

test('the GIL: CPU-bound threads get no speed-up, I/O-bound threads still overlap', async () => {
  const cpu = { strategy: 'queue.Queue', workers: 2, items: 120, cost: 60000 };
  const withGil = await run({ ...cpu, gil: true });
  const waited = withGil.chunks.reduce((sum, c) => sum + c.gil_wait_ms, 0);
  assert.ok(waited > 0.3 * withGil.metrics.sum_task_ms, `tasks spent ${waited} of ${withGil.metrics.sum_task_ms} ms waiting for the GIL`);
  assert.match(await page.textContent('.lanes figcaption'), /waiting for the GIL/);
  await page.screenshot({ path: new URL('gil.png', shots).pathname, fullPage: true });
  const freeThreaded = await run({ ...cpu, gil: false });
  assert.ok(freeThreaded.chunks.every((c) => c.gil_wait_ms === 0), 'no GIL, no waiting for it');
  assert.ok(withGil.metrics.speedup < 1.25, `GIL on, CPU-bound: speed-up ${withGil.metrics.speedup}`);
  // Alternated and the best of three taken, so a passing load on the 2 cores weighs on both.
  const walls = { on: [withGil.wall_ms], off: [freeThreaded.wall_ms] };
  for (let round = 0; round < 2; round += 1) {
    walls.on.push((await run({ ...cpu, gil: true })).wall_ms);
    walls.off.push((await run({ ...cpu, gil: false })).wall_ms);
  }
  const [on, off] = [Math.min(...walls.on), Math.min(...walls.off)];
  assert.ok(off < 0.75 * on, `GIL off ${walls.off} ms vs on ${walls.on} ms`);
  assert.equal(freeThreaded.metrics.peak_parallelism, 2);
  const io = await run({ strategy: 'queue.Queue', workers: 2, items: 20, workload: 'io', cost: 10000, gil: true });
  assert.ok(io.metrics.speedup > 1.7, `GIL on, I/O-bound: waits overlap, speed-up ${io.metrics.speedup}`);
});

test('queue.Queue: the queue drains one task at a time, its depth recorded', async () => {
  const t = await run({ strategy: 'queue.Queue', workers: 2, items: 30, cost: 4000, gil: false });
  const depths = t.queue_depth.map((s) => s.queued);
  assert.equal(depths[0], 30);
  assert.equal(depths.at(-1), 0);
  assert.ok(depths.every((d, i) => i === 0 || d === depths[i - 1] - 1), 'one get() at a time');
});

test('threading.Thread: one thread per task, started in order, start cost measured', async () => {
  const t = await run({ strategy: 'threading.Thread', items: 6, workload: 'io', cost: 20000 });
  assert.equal(t.workers, 6);
  assert.deepEqual(t.chunks.map((c) => c.worker), [0, 1, 2, 3, 4, 5]);
  assert.equal(t.worker_started_ms.length, 6);
  assert.ok(t.worker_started_ms.every((ms) => ms > 0), 'each thread starts after start() is called');
  assert.ok(t.wall_ms < 3 * 20, `six 20 ms waits overlap: ${t.wall_ms} ms`);
  await assert.rejects(run({ strategy: 'threading.Thread', items: 17 }), /at most 16 at once/);
});

test('work stealing (rayon) beats a static split on the straggler workload', async () => {
  const config = { workers: 2, items: 200, cost: 20000, shape: 'straggler' };
  const walls = { rayon: [], static: [] };
  for (let round = 0; round < 2; round += 1) {
    walls.rayon.push((await run({ ...config, strategy: 'rayon.par_iter' })).wall_ms);
    walls.static.push((await run({ ...config, strategy: 'static' })).wall_ms);
  }
  const best = (xs) => Math.min(...xs);
  assert.ok(best(walls.rayon) < 0.92 * best(walls.static), `rayon ${walls.rayon} vs static ${walls.static}`);
  const t = await run({ ...config, strategy: 'rayon.par_iter' });
  assert.deepEqual(t.results, squares(200));
  assert.equal(new Set(t.chunks.map((c) => c.thread)).size, 2);
  const blocks = await run({ ...config, strategy: 'static' });
  assert.deepEqual(blocks.chunks.map((c) => c.len), [100, 100]);
});

test('the picker shows each strategy\'s own controls, and a run draws its queue', async () => {
  const fresh = await openPage(browser, site.url);
  await waitForPool(fresh);
  await fresh.selectOption('#strategy', 'ThreadPoolExecutor.map');
  // CPython's ThreadPoolExecutor.map takes a chunksize and ignores it: the control says so.
  assert.equal(await fresh.textContent('.field-note[data-key="chunksize"]'), '1 (one item per task: ThreadPoolExecutor.map ignores chunksize, as CPython does)');
  assert.equal(await fresh.locator('#gil').isChecked(), true);
  // Left out, max_workers is CPython's default on this machine, written as CPython takes it.
  const cpus = await fresh.evaluate(() => navigator.hardwareConcurrency);
  assert.ok((await fresh.textContent('#python')).includes(`with ThreadPoolExecutor() as executor:  # min(32, os.cpu_count() + 4): ${Math.min(cpus + 4, 16)} here`));
  await fresh.fill('#workers', '2');
  await fresh.fill('#items', '30');
  await fresh.click('#run');
  await fresh.waitForSelector('#queue-depth', { timeout: 60_000 });
  assert.match(await fresh.textContent('#notes'), /GIL on/);
  assert.match(new URL(fresh.url()).search, /strategy=ThreadPoolExecutor.map&workers=2&items=30/);
  await fresh.screenshot({ path: new URL('thread-pool.png', shots).pathname, fullPage: true });
  await fresh.selectOption('#strategy', 'ProcessPoolExecutor.map');
  await fresh.fill('#items', '40');
  await fresh.click('#run');
  await fresh.waitForSelector('.run[data-strategy="ProcessPoolExecutor.map"]', { timeout: 60_000 });
  assert.match(await fresh.textContent('.queue-depth figcaption'), /pending work items/);
  await fresh.screenshot({ path: new URL('process-pool.png', shots).pathname, fullPage: true });
  assert.deepEqual(fresh.problems, []);
  await fresh.close();
});
