// End-to-end: the seed's remaining APIs (Pool.apply, Pool.starmap_async), threads started in
// order, ThreadPoolExecutor's lazily started threads, and the refusals in CPython's words, as
// served, in Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { launch, openPage, runInPage, serve, waitForPool } from './harness.mjs';

const shots = new URL('./screenshots/', import.meta.url);
let browser;
let site;

before(async () => {
  await mkdir(shots, { recursive: true });
  browser = await launch();
  site = await serve();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

const squares = (n) => Array.from({ length: n }, (_, i) => (i + 1) ** 2);
const byIndex = (chunks) => [...chunks].sort((a, b) => a.index - b.index);

/** Opens the page at `query` and clicks Run; returns the page once the run is drawn. */
async function runFromLink(query) {
  const page = await openPage(browser, `${site.url}?${query}`);
  await waitForPool(page);
  await page.click('#run');
  await page.waitForSelector('.run[data-strategy]', { timeout: 60_000 });
  return { page };
}

async function shoot(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: new URL(`${name}-${width}.png`, shots).pathname, fullPage: true });
  }
}

test('Pool.apply in a loop runs one task at a time, on the processes in turn, in order', async () => {
  const { page } = await runFromLink('strategy=Pool.apply&workers=2&items=8&cost=20000');
  const t = await runInPage(page, { strategy: 'Pool.apply', workers: 2, items: 8, cost: 20000 });
  const chunks = byIndex(t.chunks);
  assert.deepEqual(chunks.map((c) => c.len), Array(8).fill(1));
  for (let i = 1; i < chunks.length; i++) {
    assert.ok(chunks[i].start_ms >= chunks[i - 1].end_ms,
      `task ${i} starts at ${chunks[i].start_ms} ms, after task ${i - 1} is back at ${chunks[i - 1].end_ms} ms`);
  }
  assert.deepEqual(chunks.map((c) => c.worker), [0, 1, 0, 1, 0, 1, 0, 1].map((w) => (w + chunks[0].worker) % 2),
    'the process that has waited longest takes the next task');
  assert.deepEqual(t.delivered, [...Array(8).keys()]);
  assert.deepEqual(t.results, squares(8));
  const text = await page.textContent('.run');
  assert.match(text, /submitted one at a time: each apply\(\) call blocks until its result is back/);
  assert.match(await page.textContent('#python'), /results = \[pool\.apply\(square, \(x,\)\) for x in range\(1, 9\)\]  # each call blocks: one task at a time/);
  assert.equal(await page.locator('.queue-depth').count(), 0, 'no task ever waits in the queue');
  await shoot(page, 'pool-apply');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('Pool.starmap_async gives the starmap result list at the end', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  const t = await runInPage(page, { strategy: 'Pool.starmap_async', workers: 2, items: 30, chunksize: 4, cost: 2000 });
  assert.deepEqual(t.chunks.map((c) => c.len), [...Array(7).fill(4), 2]);
  assert.deepEqual(t.results, squares(30));
  assert.equal(new Set(t.delivered_ms).size, 1, 'the whole list reaches the caller at once');
  assert.match(await page.textContent('#python'), /pool\.starmap_async\(power, zip\(range\(1, 31\), repeat\(2\)\), chunksize=4\)\.get\(\)/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('ThreadPoolExecutor starts a thread per submit only while none is idle: 2 quick items start 1 thread, 4 slow ones 4, as in CPython', async () => {
  // CPython 3.11, max_workers=16: the thread the first submit starts holds the GIL from its
  // start and finishes a quick item 1 before the caller gets the GIL back to submit item 2,
  // which finds it idle: 1 thread. Items that compute far longer than the 5 ms switch
  // interval are still running at every submit: one thread each.
  const { page } = await runFromLink('strategy=ThreadPoolExecutor.map&workers=16&items=2&cost=0');
  const quick = await runInPage(page, { strategy: 'ThreadPoolExecutor.map', workers: 16, items: 2, cost: 0, gil: true });
  assert.equal(quick.workers, 16, 'workers: the max_workers setting');
  assert.equal(quick.threads_started, 1, 'one thread started, as in CPython');
  assert.equal(quick.worker_started_ms.length, 1);
  assert.ok(quick.chunks.every((c) => c.worker === 0));
  assert.deepEqual(quick.results, squares(2));
  assert.match(await page.textContent('.run h2'), /^ThreadPoolExecutor\.map \(max_workers=16\) started 1 thread, one per submit while none was idle/);
  assert.match(await page.getAttribute('#lanes', 'aria-label'), /^1 lane of chunks/);
  assert.match(await page.textContent('.run'), /2 trivial items on max_workers=16 start 1 thread/);
  await shoot(page, 'tpe-one-thread');
  assert.deepEqual(page.problems, []);
  await page.close();

  const slow = await runFromLink('strategy=ThreadPoolExecutor.map&workers=16&items=4&cost=1000000');
  const t = await runInPage(slow.page, { strategy: 'ThreadPoolExecutor.map', workers: 16, items: 4, cost: 1000000, gil: true });
  for (const c of t.chunks) {
    assert.ok(c.end_ms - c.start_ms - c.gil_wait_ms > 15,
      `item ${c.index + 1} computed ${c.end_ms - c.start_ms - c.gil_wait_ms} ms: too quick to outlast the switch interval on this machine`);
  }
  assert.equal(t.threads_started, 4, 'a thread per item: none was idle at any submit');
  assert.deepEqual([...new Set(t.chunks.map((c) => c.worker))].sort(), [0, 1, 2, 3]);
  assert.deepEqual(t.results, squares(4));
  assert.match(await slow.page.textContent('.run h2'), /^ThreadPoolExecutor\.map \(max_workers=16\) started 4 threads/);
  assert.match(await slow.page.getAttribute('#lanes', 'aria-label'), /^4 lanes of chunks/);
  await shoot(slow.page, 'tpe-four-threads');
  assert.deepEqual(slow.page.problems, []);
  await slow.page.close();
});

test('threading.Thread and queue.Queue start their threads strictly in order', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  for (let round = 0; round < 3; round++) {
    const t = await runInPage(page, { strategy: 'threading.Thread', items: 16, cost: 3000, gil: false });
    const chunks = byIndex(t.chunks);
    for (let k = 1; k < 16; k++) {
      assert.ok(t.worker_started_ms[k] >= t.worker_started_ms[k - 1],
        `round ${round}: thread ${k} started at ${t.worker_started_ms[k]} ms, before thread ${k - 1} at ${t.worker_started_ms[k - 1]} ms`);
      assert.ok(chunks[k].start_ms >= chunks[k - 1].start_ms,
        `round ${round}: thread ${k}'s task began at ${chunks[k].start_ms} ms, before thread ${k - 1}'s at ${chunks[k - 1].start_ms} ms`);
    }
    assert.deepEqual(t.results, squares(16));
  }
  const q = await runInPage(page, { strategy: 'queue.Queue', workers: 6, items: 30, cost: 3000, gil: false });
  for (let k = 1; k < 6; k++) {
    assert.ok(q.worker_started_ms[k] >= q.worker_started_ms[k - 1], `queue.Queue: thread ${k} started before thread ${k - 1}`);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('refusals in CPython\'s words where CPython refuses, then the page\'s own', async () => {
  const workers = 'Workers must be a whole number from 1 to 16';
  const chunksize = 'Chunk size must be a whole number from 1 to 1,000,000';
  const cases = [
    ['strategy=Pool.map&workers=0', 'workers', `CPython refuses it: multiprocessing.Pool(0) raises ValueError: Number of processes must be at least 1. ${workers}`],
    ['strategy=ProcessPoolExecutor.map&workers=0', 'workers', `CPython refuses it: ProcessPoolExecutor(max_workers=0) raises ValueError: max_workers must be greater than 0. ${workers}`],
    ['strategy=ThreadPoolExecutor.map&workers=0', 'workers', `CPython refuses it: ThreadPoolExecutor(max_workers=0) raises ValueError: max_workers must be greater than 0. ${workers}`],
    ['strategy=Pool.imap&chunksize=0', 'chunksize', `CPython refuses it: pool.imap(…, chunksize=0) raises ValueError: Chunksize must be 1+, not 0. ${chunksize}`],
    ['strategy=ProcessPoolExecutor.map&chunksize=0', 'chunksize', `CPython refuses it: ProcessPoolExecutor.map(…, chunksize=0) raises ValueError: chunksize must be >= 1. ${chunksize}`],
    // Where CPython accepts what the page cannot run, it says what CPython would do.
    ['strategy=Pool.map&workers=17', 'workers', `CPython would start 17 processes; the page runs at most 16 workers at once (its pool of Web Workers). ${workers}`],
    ['strategy=ThreadPoolExecutor.map&workers=32', 'workers', `CPython would start up to 32 threads (one per submitted item while none is idle); the page runs at most 16 workers at once (its pool of Web Workers). ${workers}`],
    ['strategy=Pool.map&chunksize=0', 'chunksize', `CPython accepts chunksize=0 here and runs no task at all: pool.map(…) gives a list of None, one per item. ${chunksize}`],
  ];
  for (const [query, key, message] of cases) {
    const page = await openPage(browser, `${site.url}?${query}`);
    await waitForPool(page);
    assert.equal(await page.textContent(`.field-error[data-key="${key}"]`), message, query);
    assert.equal(await page.locator('#run').isDisabled(), true, `${query}: Run waits`);
    if (query === 'strategy=Pool.map&workers=0') await shoot(page, 'refused-cpython-words');
    assert.deepEqual(page.problems, [], query);
    await page.close();
  }
});

test('ThreadPoolExecutor.map takes a chunksize and ignores it, as CPython does, and says so', async () => {
  const page = await openPage(browser, `${site.url}?strategy=ThreadPoolExecutor.map&workers=2&items=6&chunksize=4&cost=2000`);
  await waitForPool(page);
  assert.equal(await page.locator('.refused').count(), 0, 'not refused');
  assert.equal(await page.textContent('.field-note[data-key="chunksize"]'),
    '1 (one item per task: ThreadPoolExecutor.map ignores chunksize=4, as CPython does)');
  assert.match(await page.textContent('#python'), /executor\.map\(square, range\(1, 7\), chunksize=4\)\)  # ignored: only ProcessPoolExecutor uses chunksize/);
  await page.click('#run');
  await page.waitForSelector('.run[data-strategy="ThreadPoolExecutor.map"]', { timeout: 60_000 });
  assert.match(await page.textContent('.run h2'), /6 items, one task each/);
  await shoot(page, 'tpe-chunksize-ignored');
  assert.deepEqual(page.problems, []);
  await page.close();
});
