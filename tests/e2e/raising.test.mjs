// End-to-end: tasks that raise (`raise_at`), run for real in Chromium on processes (Pool,
// ProcessPoolExecutor) and threads (ThreadPoolExecutor, threading.Thread, queue.Queue). Each
// strategy's caller receives what CPython's would (the rules are cross-checked against
// CPython natively in tests/cpython_crosscheck.rs); here the page must run them, say it, and
// draw it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, runInPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

/** The items (1..n) of the tasks in `indices`, `chunksize` items each, for `items` items. */
const itemsOf = (indices, chunksize, items) =>
  indices.flatMap((i) => Array.from({ length: chunksize }, (_, k) => i * chunksize + k + 1)).filter((x) => x <= items);

test('each strategy gives its caller what CPython gives when items raise, and marks what never ran', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);

  // Pool.map: item 3 raises in chunk [3, 4]; item 4 never runs; every other chunk runs;
  // the caller gets the exception and no list.
  const map = await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 8, chunksize: 2, workload: 'io', cost: 20000, raise_at: '3' });
  assert.equal(map.raised, 'ValueError: bad item 3');
  assert.equal(map.raised_item, 3);
  assert.deepEqual(map.never_ran, [4]);
  assert.deepEqual(map.delivered, []);
  assert.deepEqual(map.chunks.map((c) => c.index), [0, 1, 2, 3], 'every chunk ran');
  assert.equal(map.chunks[1].error, 'ValueError: bad item 3');

  // Pool.imap, chunksize 2: chunk 0's results, then the exception at chunk 1's turn.
  const imap = await runInPage(page, { strategy: 'Pool.imap', workers: 2, items: 8, chunksize: 2, workload: 'io', cost: 20000, raise_at: '3' });
  assert.deepEqual([imap.delivered, imap.raised_item, imap.never_ran], [[0], 3, [4]]);

  // apply_async: only the failing calls' get() raises; the caller gets every other result.
  const apply = await runInPage(page, { strategy: 'Pool.apply_async', workers: 2, items: 6, workload: 'io', cost: 5000, raise_at: '2,5' });
  assert.equal(apply.raised_item, 2);
  assert.deepEqual(apply.delivered, [0, 2, 3, 5]);
  assert.deepEqual(apply.chunks.filter((c) => c.error).map((c) => c.error), ['ValueError: bad item 2', 'ValueError: bad item 5']);

  // ThreadPoolExecutor.map: item 3 raises at once; the caller reaches it after items 1 and 2;
  // the futures not yet started are cancelled and never run.
  const tpe = await runInPage(page, { strategy: 'ThreadPoolExecutor.map', workers: 2, items: 8, workload: 'io', cost: 80000, shape: 'increasing', raise_at: '3', raise_cost: 'fast', gil: false });
  assert.equal(tpe.raised_item, 3);
  assert.deepEqual(tpe.delivered, [0, 1]);
  assert.ok(tpe.cancelled.length > 0, 'some futures were cancelled');
  assert.deepEqual(tpe.never_ran, itemsOf(tpe.cancelled, 1, 8));
  assert.ok(tpe.chunks.every((c) => !tpe.cancelled.includes(c.index)), 'a cancelled task never ran');

  // threading.Thread: excepthook prints; join() returns; the caller raises nothing.
  const threads = await runInPage(page, { strategy: 'threading.Thread', items: 4, workload: 'io', cost: 1000, raise_at: '2' });
  assert.equal(threads.raised, null);
  assert.deepEqual(threads.results, [1, 0, 9, 16]);

  // queue.Queue whose two workers both raise: six tasks left with no worker alive; the run
  // ends (q.join() would wait forever) instead of hanging.
  const started = Date.now();
  const queue = await runInPage(page, { strategy: 'queue.Queue', workers: 2, items: 8, workload: 'io', cost: 5000, raise_at: '1,2', raise_cost: 'fast' });
  assert.ok(Date.now() - started < 10_000, 'ended, not hung');
  assert.deepEqual(queue.stranded, [2, 3, 4, 5, 6, 7]);
  assert.deepEqual(queue.never_ran, [3, 4, 5, 6, 7, 8]);

  // Pool.apply in a loop: item 3's call raises in the caller, whose loop ends there: the
  // calls for items 4 to 6 are never made; the processes ran items 1 to 3, one at a time.
  const applied = await runInPage(page, { strategy: 'Pool.apply', workers: 2, items: 6, workload: 'io', cost: 5000, raise_at: '3' });
  assert.equal(applied.raised, 'ValueError: bad item 3');
  assert.deepEqual([applied.delivered, applied.unsubmitted, applied.never_ran], [[0, 1], [3, 4, 5], [4, 5, 6]]);
  assert.deepEqual(applied.chunks.map((c) => c.index), [0, 1, 2], 'only the calls made ran');
  assert.equal(applied.chunks[2].error, 'ValueError: bad item 3');
  for (let k = 1; k < applied.chunks.length; k++) {
    assert.ok(applied.chunks[k].start_ms >= applied.chunks[k - 1].end_ms, 'one call at a time');
  }

  // multiprocessing.Process: items 2 and 4's processes exit without putting a result; the
  // parent receives the others and raises nothing; every process ran; the run ends (its
  // queue.get() would wait forever) instead of hanging.
  const processStarted = Date.now();
  const processes = await runInPage(page, { strategy: 'multiprocessing.Process', items: 5, workload: 'io', cost: 5000, raise_at: '2,4' });
  assert.ok(Date.now() - processStarted < 30_000, 'ended, not hung');
  assert.equal(processes.raised, null);
  assert.deepEqual(processes.delivered, [0, 2, 4]);
  assert.deepEqual(processes.chunks.filter((c) => c.error).map((c) => c.index), [1, 3]);
  assert.deepEqual(processes.never_ran, []);
  assert.deepEqual(processes.results, [1, 0, 9, 0, 25]);

  // rayon: item 3 returns Err at once; collect::<Result<Vec<_>, _>>() short-circuits: each
  // piece ran a prefix of its items, the pieces not yet started were skipped, and the caller
  // got the Err and no Vec.
  const rayon = await runInPage(page, { strategy: 'rayon.par_iter', workers: 2, items: 16, workload: 'io', cost: 20000, raise_at: '3', raise_cost: 'fast' });
  assert.equal(rayon.raised, 'Err("bad item 3")');
  assert.equal(rayon.raised_item, 3);
  assert.deepEqual(rayon.delivered, []);
  const failed = rayon.chunks.filter((c) => c.error);
  assert.deepEqual(failed.map((c) => [c.error, c.first_item + c.len]), [['Err("bad item 3")', 3]], 'the piece stops at its Err');
  const ran = rayon.chunks.flatMap((c) => Array.from({ length: c.len }, (_, k) => c.first_item + k + 1));
  assert.ok(rayon.never_ran.length > 0, 'some items were skipped');
  assert.deepEqual([...ran, ...rayon.never_ran].sort((a, b) => a - b), Array.from({ length: 16 }, (_, k) => k + 1), 'every item ran or never ran, not both');
  assert.ok(rayon.results_in_order, 'a value where an item returned Ok, 0 elsewhere');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the page draws each raising case: the lanes mark where it raised, the gather says what the caller got', async () => {
  const cases = [
    ['map', 'strategy=Pool.map&workers=2&items=8&chunksize=2&workload=io&cost=20000&raise_at=3', /Pool\.map waited for every chunk, then raised ValueError: bad item 3 at [\d.,]+ ms: the first exception to arrive; the caller got no list\. Never ran: item 4\./, '1'],
    ['imap', 'strategy=Pool.imap&workers=2&items=8&chunksize=2&workload=io&cost=20000&raise_at=3', /received 2 results, then ValueError: bad item 3 at the failing chunk's turn.*With chunksize > 1 the iterator is spent after the exception: another next\(\) raises StopIteration/, '1'],
    ['apply_async', 'strategy=Pool.apply_async&workers=2&items=6&workload=io&cost=5000&raise_at=2,5', /Only the get\(\) of the calls that raised raised \(items 2, 5;/, '1,4'],
    ['tpe', 'strategy=ThreadPoolExecutor.map&workers=2&items=8&workload=io&cost=80000&shape=increasing&raise_at=3&raise_cost=fast&gil=false', /received 2 results, then ValueError: bad item 3 when the iterator reached that item .*cancelled: \d tasks?\. Never ran: items/, '2'],
    ['thread', 'strategy=threading.Thread&items=4&workload=io&cost=1000&raise_at=2', /threading\.excepthook printed ValueError for item 2; the other threads went on and join\(\) returned/, '1'],
    ['queue-dead', 'strategy=queue.Queue&workers=2&items=8&workload=io&cost=5000&raise_at=1,2&raise_cost=fast', /Every worker thread died \(items 1, 2 raised\) with 6 tasks left in the queue and no worker alive: q\.join\(\) would wait forever\. The playground ended the run here instead\. Never ran: items 3–8\./, '0,1'],
    ['apply', 'strategy=Pool.apply&workers=2&items=6&workload=io&cost=20000&raise_at=3', /The caller's loop received 2 results, then ValueError: bad item 3 from the call for that item \([\d.,]+ ms\); the loop ended there, so the calls after it were never made: 3 tasks never submitted\. Never ran: items 4–6\./, '2'],
    ['rayon', 'strategy=rayon.par_iter&workers=2&items=16&workload=io&cost=20000&raise_at=3&raise_cost=fast', /collect::<Result<Vec<_>, _>>\(\) returned Err\("bad item 3"\) at [\d.,]+ ms: the first Err stored \(item 3 returned Err\); once an Err was seen, rayon skipped the items not yet started, and the caller got no Vec\. Rust has no exceptions: each item returns a Result \(a panic would abort this page's wasm build\)\. Never ran: items/, /^\d+$/],
    ['process', 'strategy=multiprocessing.Process&items=5&workload=io&cost=20000&raise_at=2,4', /The processes that raised \(items 2, 4\) printed the traceback and exited with exitcode 1 without putting a result; the parent's queue\.get\(\) received the 3 results of the others, and its next get\(\) would wait forever for the missing ones\. The playground ended the run here instead\./, '1,3'],
  ];
  for (const width of [1280, 390]) {
    for (const [name, query, said, raisedTasks] of cases) {
      if (width === 390 && !['map', 'queue-dead', 'apply', 'process', 'rayon'].includes(name)) continue;
      const page = await openPage(browser, `${site.url}?${query}`, { viewport: { width, height: 900 } });
      await page.waitForSelector('#run:not([disabled])', { timeout: 30_000 });
      await page.click('#run');
      await page.waitForSelector('#caller-raised', { timeout: 60_000 });
      assert.match(await page.textContent('#caller-raised'), said, `${name} at ${width} px`);
      // The canvas records what it drew once drawn, a frame after the run is shown.
      await page.waitForSelector('figure.lanes canvas[data-raised]');
      const raisedAttribute = await page.getAttribute('figure.lanes canvas', 'data-raised');
      if (raisedTasks instanceof RegExp) assert.match(raisedAttribute, raisedTasks, name);
      else assert.equal(raisedAttribute, raisedTasks, name);
      const marked = name === 'rayon' ? /a red frame marks a piece whose item returned Err/ : /a red frame marks a task that raised ValueError/;
      assert.match(await page.textContent('figure.lanes'), marked);
      assert.match(await page.textContent('[data-figure="speedup"]'), /not measured: items raised/);
      if (name === 'apply') {
        assert.equal(await page.getAttribute('#caller-raised', 'data-unsubmitted'), '3');
        assert.equal(await page.getAttribute('#caller-raised', 'data-never-ran'), '4,5,6');
        assert.match(await page.textContent('figure.lanes'), /never submitted \(the caller's loop ended at the exception\), so in no lane: 3 tasks/);
        assert.match(await page.textContent('figure.split'), /only 3 tasks were submitted \(drawn\): the calls for items 4–6 were never made/);
        assert.equal(await page.locator('figure.split .cell').count(), 3);
        assert.match(await page.textContent('#python'), /except ValueError as error: {2}# raised by the failing item's call: the calls after it are never made/);
      }
      if (name === 'rayon') {
        assert.match(await page.textContent('figure.split'), /once an Err was seen rayon skipped the rest, so items [\d–, ]+ are in no cell/);
        assert.match(await page.textContent('#python'), /let results: Result<Vec<u64>, String> = pool\.install/);
      }
      if (name === 'process') {
        assert.match(await page.textContent('figure.gather'), /the parent's queue\.get\(\) received the results of 3 processes, then would wait forever for the rest/);
        assert.match(await page.textContent('#python'), /waits forever once only the results of processes that raised are missing/);
      }
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `fits ${width} px`);
      await page.screenshot({ path: new URL(`raising-${name}-${width}.png`, shots).pathname, fullPage: true });
      assert.deepEqual(page.problems, []);
      await page.close();
    }
  }
});

test('raise_at is checked with a clear message', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  await assert.rejects(runInPage(page, { strategy: 'Pool.map', items: 10, raise_at: '11' }), /item 11 does not exist: the items are numbered 1 to 10/);
  await assert.rejects(runInPage(page, { strategy: 'Pool.map', items: 10, raise_cost: 'sometimes' }), /must be one of same, slow, fast/);
  await assert.rejects(runInPage(page, { strategy: 'static', items: 10, raise_at: '3' }), /static is not taught with tasks that raise here: 'raise_at' is a setting of .* and rayon\.par_iter/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
