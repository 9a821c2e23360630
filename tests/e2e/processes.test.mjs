// Processes are processes: the process strategies run on module Web Workers that each
// instantiate the playground's own module with a memory of their own, fed pickled task
// messages by the page. Nothing is shared, so they run on pages that are NOT cross-origin
// isolated too: a page served without the headers, and a tutorial on another origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dist, launch, openPage, runInPage, serve, waitForPool } from './harness.mjs';

const shots = new URL('./screenshots/', import.meta.url);

let browser;
let plain;
let isolatedSite;

before(async () => {
  browser = await launch();
  plain = await serve({ isolated: false });
  isolatedSite = await serve({ isolated: true });
});

after(async () => {
  await browser?.close();
  await plain?.close();
  await isolatedSite?.close();
});

/** Each chunk's compute interval, as its process measured it, on the run's clock. */
const computeSpan = (c) => [c.start_ms + c.send_ms, c.start_ms + c.send_ms + c.compute_ms];

/** Whether process 0's and process 1's compute intervals overlap. */
function computeOverlaps(trace) {
  const spans = (w) => trace.chunks.filter((c) => c.worker === w).map(computeSpan);
  return spans(0).some(([a0, a1]) => spans(1).some(([b0, b1]) => a0 < b1 && b0 < a1));
}

// Three chunks of two items of about 150 ms each: a process computes for about 300 ms a chunk,
// long enough for the second process to be ready before the first has taken every chunk.
const twoProcesses = { strategy: 'Pool.map', workers: 2, items: 6, chunksize: 2, cost: 1000000 };

test('on a page served without the isolation headers, Pool.map runs on 2 processes that compute at the same time', async (t) => {
  const page = await openPage(browser, plain.url);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
  const first = await runInPage(page, twoProcesses);
  assert.equal(first.isolated, false);
  assert.equal(first.workers, 2);
  assert.deepEqual([...new Set(first.chunks.map((c) => c.worker))].sort(), [0, 1], 'both processes took chunks');
  // Two items of primes below 1,000,000 take about 200 ms on this machine, a trivial chunk
  // microseconds: a third of that says the work was really done, whatever the machine's speed.
  assert.ok(first.chunks.every((c) => c.compute_ms > 50), `each chunk computed for real: ${first.chunks.map((c) => c.compute_ms)}`);
  assert.ok(computeOverlaps(first), 'the two processes computed at the same time');
  assert.equal(first.results_in_order, true);
  assert.deepEqual(first.results, [1, 4, 9, 16, 25, 36]);
  assert.deepEqual(first.processes.started_by_run, [true, true], 'the first run starts the pool');
  assert.ok(first.processes.startup_ms.every((ms) => ms > 0), `start-up measured: ${first.processes.startup_ms}`);
  assert.ok(first.worker_started_ms.every((ms) => ms > 0), 'a process takes work once it is ready');
  assert.ok(first.chunks.every((c) => c.queue_ms >= 0 && c.send_ms >= 0 && c.return_ms >= 0));
  // A chunk's box on its lane ends where its process began its next chunk (the results may
  // still be crossing back): the box holds its crossings (transfer_ms) and its computing.
  for (const worker of [0, 1]) {
    const lane = first.chunks.filter((c) => c.worker === worker).sort((a, b) => a.start_ms - b.start_ms);
    lane.forEach((c, i) => {
      const boxEnd = i + 1 < lane.length ? Math.min(c.end_ms, lane[i + 1].start_ms) : c.end_ms;
      assert.ok(Math.abs(c.transfer_ms + c.compute_ms - (boxEnd - c.start_ms)) < 1e-6, `chunk ${c.index}: ${JSON.stringify(c)}`);
      assert.ok(c.transfer_ms <= c.send_ms + c.return_ms + 1e-6);
    });
    const last = lane.at(-1);
    assert.ok(Math.abs(last.transfer_ms - (last.send_ms + last.return_ms)) < 1e-6, 'the last box runs until its results are back');
  }
  t.diagnostic(`start-up of 2 processes (not isolated): ${first.processes.startup_ms.map((ms) => ms.toFixed(1)).join(' ms, ')} ms`);

  const again = await runInPage(page, twoProcesses);
  assert.deepEqual(again.processes.started_by_run, [false, false], 'a later run reuses the pool');
  assert.deepEqual(again.worker_started_ms, [0, 0], 'reused processes are ready at the call');
  assert.ok(computeOverlaps(again));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('every process strategy runs on processes without isolation, by its CPython rules', async () => {
  const page = await openPage(browser, plain.url);
  const base = { workers: 3, items: 12, cost: 20000 };
  for (const strategy of ['Pool.map', 'Pool.map_async', 'Pool.imap', 'Pool.imap_unordered', 'Pool.starmap', 'Pool.apply_async', 'ProcessPoolExecutor.map']) {
    const trace = await runInPage(page, { ...base, strategy });
    assert.equal(trace.strategy, strategy);
    assert.equal(trace.results_in_order, true, strategy);
    assert.ok(trace.processes, `${strategy} ran on processes`);
    assert.ok(trace.chunks.every((c) => c.compute_ms >= 0 && c.worker < 3), strategy);
    // Handed out (written to a process: queue_ms) in FIFO order; a process reads a chunk
    // written ahead into its pipe once the one before is done.
    const byHandOut = [...trace.chunks].sort((a, b) => a.queue_ms - b.queue_ms || a.index - b.index).map((c) => c.index);
    assert.deepEqual(byHandOut, trace.chunks.map((c) => c.index), `${strategy}: chunks handed out in FIFO order`);
    for (let i = 1; i < trace.chunks.length; i += 1) {
      assert.ok(trace.chunks[i].queue_ms >= trace.chunks[i - 1].queue_ms, `${strategy}: chunk ${i} handed out after chunk ${i - 1}`);
    }
    if (strategy === 'ProcessPoolExecutor.map') {
      assert.ok(trace.queue_depth.every((s) => s.queued <= 4), 'the call queue holds at most max_workers + 1');
    }
    if (['Pool.imap', 'Pool.apply_async', 'ProcessPoolExecutor.map'].includes(strategy)) {
      assert.deepEqual(trace.delivered, trace.chunks.map((c) => c.index), `${strategy} delivers in input order`);
    }
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('on an isolated page the process strategies run on processes too', async (t) => {
  const page = await openPage(browser, isolatedSite.url);
  // Started while the thread pool's 16 workers start, a late process may find every chunk
  // taken: wait for the thread pool first.
  await waitForPool(page);
  const trace = await runInPage(page, twoProcesses);
  assert.equal(trace.isolated, true);
  assert.deepEqual(trace.processes.started_by_run, [true, true]);
  t.diagnostic(`start-up of 2 processes (isolated, thread pool ready): ${trace.processes.startup_ms.map((ms) => ms.toFixed(1)).join(' ms, ')} ms`);
  assert.ok(computeOverlaps(trace), `compute overlaps: ${JSON.stringify(trace.chunks.map((c) => [c.worker, ...computeSpan(c)]))}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('Stop terminates the busy processes at once; they are replaced for the next run', async () => {
  const page = await openPage(browser, plain.url);
  await page.waitForFunction(() => window.playground?.cancel);
  const { trace, stop_ms } = await page.evaluate(async () => {
    const run = window.playground.run({ strategy: 'Pool.imap', workers: 2, items: 40, cost: 1000000 }, { baseline: false });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const asked = performance.now();
    window.playground.cancel();
    const trace = await run;
    return { trace, stop_ms: performance.now() - asked };
  });
  assert.equal(trace.stopped, true);
  assert.ok(stop_ms < 500, `stopped within 500 ms (${stop_ms} ms)`);
  assert.ok(trace.chunks.some((c) => c.stopped), 'the chunks in flight were cut short');
  const next = await runInPage(page, twoProcesses);
  assert.equal(next.stopped, false);
  assert.equal(next.results_in_order, true);
  assert.deepEqual(next.processes.started_by_run, [false, false], 'replaced when the stopped run ended, before this one');
  assert.ok(computeOverlaps(next), 'both replacements compute');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a tutorial page on another origin, without the headers, embeds the playground and runs Pool.map on 2 processes', async () => {
  const html = `<!DOCTYPE html><title>tutorial</title><h1>Pool.map</h1>
<iframe id="playground" width="1100" height="900" src="${plain.url}?strategy=Pool.map&workers=2&items=6&chunksize=2"></iframe>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    // "localhost" is another origin than the playground's 127.0.0.1.
    const page = await openPage(browser, `http://localhost:${server.address().port}/`);
    await page.waitForSelector('#playground');
    const frame = await (await page.$('#playground')).contentFrame();
    await frame.waitForFunction(() => window.playground?.run, null, { timeout: 30_000 });
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
    const trace = await frame.evaluate((c) => window.playground.run(c), twoProcesses);
    assert.equal(trace.isolated, false);
    assert.ok(computeOverlaps(trace), 'the two processes computed at the same time');
    assert.equal(trace.results_in_order, true);
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the per-chunk round trip of trivial items is measured', async (t) => {
  const page = await openPage(browser, plain.url);
  await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 2, chunksize: 1, cost: 0 });
  const trace = await runInPage(page, { strategy: 'Pool.imap', workers: 2, items: 200, cost: 0 });
  const trips = trace.chunks.map((c) => c.send_ms + c.return_ms).sort((a, b) => a - b);
  const median = trips[Math.floor(trips.length / 2)];
  assert.ok(median > 0 && median < 20, `median round trip ${median} ms`);
  t.diagnostic(`per-chunk round trip (chunksize 1, trivial items, 2 processes): median ${median.toFixed(3)} ms; ${(trace.wall_ms / 200).toFixed(3)} ms of wall time per chunk`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the page draws each process starting, names processes, and says the start-up and the crossing cost', async () => {
  for (const width of [1280, 390]) {
    const page = await openPage(browser, `${plain.url}?strategy=Pool.map&workers=2&items=14&chunksize=3&cost=400000`, { viewport: { width, height: 900 } });
    await page.waitForSelector('#run:not([disabled])', { timeout: 30_000 });
    await page.click('#run');
    await page.waitForSelector('.run', { timeout: 60_000 });
    assert.match(await page.textContent('[data-figure="startup"]'), /^2 processes started by this run; start-up: [\d,.]+ ms, [\d,.]+ ms$/);
    assert.match(await page.textContent('[data-figure="threads"]'), /^2 \(most at once: 2\)$/);
    assert.match(await page.textContent('#figures'), /Processes that ran chunks/);
    assert.match(await page.textContent('#figures'), /Pickling and messages, both ways/);
    assert.match(await page.textContent('[data-figure="speedup"]'), /cannot start one/);
    assert.match(await page.textContent('figure.lanes'), /its process starting/);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `fits ${width} px`);
    await page.screenshot({ path: new URL(`processes-${width}.png`, shots).pathname, fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
  }
});

test('a process that dies is reported and the run ends, never hangs; the next run gets new processes', async (t) => {
  const page = await openPage(browser, plain.url);
  await page.waitForFunction(() => window.playground?.run, null, { timeout: 30_000 });
  // From now on the module's glue cannot be loaded: a process started now dies while it
  // starts (the worker's import fails), as one that crashes would.
  const glue = /parallel-playground-[0-9a-f]+\.js$/;
  await page.route(glue, (route) => route.abort());
  const started = Date.now();
  await assert.rejects(
    runInPage(page, { strategy: 'Pool.map', workers: 2, items: 4, cost: 10 }),
    /every process died/,
  );
  assert.ok(Date.now() - started < 10_000, 'reported, not a hang');
  // CPython's executor is broken by a worker that exits, starting or not: every pending
  // future fails with BrokenProcessPool.
  await assert.rejects(
    runInPage(page, { strategy: 'ProcessPoolExecutor.map', workers: 1, items: 2, cost: 10 }),
    /BrokenProcessPool: A process in the process pool was terminated abruptly/,
  );
  await page.unroute(glue);
  const trace = await runInPage(page, { strategy: 'Pool.map', workers: 1, items: 4, cost: 10 });
  assert.equal(trace.results_in_order, true);
  assert.ok(trace.processes.startup_ms[0] > 0, 'a new process replaced the dead one (started when the failed run ended, or by this run)');
  t.diagnostic(`start-up of 1 process (not isolated, page loaded): ${trace.processes.startup_ms[0].toFixed(1)} ms`);
  page.problems = page.problems.filter((p) => !/Failed to load resource|ERR_FAILED/.test(p));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('multiprocessing.Process starts a new process per item, for real, and its start cost shows', async (t) => {
  const page = await openPage(browser, plain.url);
  const trace = await runInPage(page, { strategy: 'multiprocessing.Process', items: 4, cost: 20000 });
  assert.equal(trace.strategy, 'multiprocessing.Process');
  assert.equal(trace.workers, 4, 'one process per item');
  assert.deepEqual(trace.results, [1, 4, 9, 16]);
  assert.deepEqual(trace.processes.started_by_run, [true, true, true, true]);
  assert.ok(trace.processes.startup_ms.every((ms) => ms > 0), `each paid its start-up: ${trace.processes.startup_ms}`);
  assert.ok(trace.chunks.every((c) => c.worker === c.index), 'process i runs item i');
  assert.ok(trace.chunks.every((c) => c.start_ms >= trace.worker_started_ms[c.worker]), 'each item starts once its process is ready');
  assert.deepEqual(trace.delivered, [0, 1, 2, 3], 'joined in order');
  assert.match(trace.notes.join(' '), /spawn/);
  t.diagnostic(`start-up of 4 processes, one per item: ${trace.processes.startup_ms.map((ms) => ms.toFixed(1)).join(' ms, ')} ms`);
  const again = await runInPage(page, { strategy: 'multiprocessing.Process', items: 4, cost: 20000 });
  assert.deepEqual(again.processes.started_by_run, [true, true, true, true], 'every run starts its processes anew');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('on 64 small items, a Pool of 2 reused beats a Process per item', async (t) => {
  const page = await openPage(browser, plain.url);
  const small = { items: 64, cost: 2000 };
  await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 2, cost: 10 });
  const pool = await runInPage(page, { strategy: 'Pool.map', workers: 2, ...small });
  const perItem = await runInPage(page, { strategy: 'multiprocessing.Process', ...small });
  assert.equal(pool.results_in_order, true);
  assert.equal(perItem.results_in_order, true);
  assert.equal(perItem.workers, 64);
  t.diagnostic(`64 small items: Pool(2) reused ${pool.wall_ms.toFixed(1)} ms, Process per item ${perItem.wall_ms.toFixed(1)} ms`);
  assert.ok(pool.wall_ms < perItem.wall_ms, `Pool ${pool.wall_ms} ms, Process per item ${perItem.wall_ms} ms`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('embedded in a page without the headers, picking queue.Queue offers the same setup in a new tab, which is isolated; a process strategy still runs', async () => {
  const query = 'strategy=Pool.map&workers=2&items=6&chunksize=2&cost=1000000';
  const html = `<!DOCTYPE html><title>tutorial</title><h1>queue.Queue</h1>
<iframe id="playground" width="390" height="2000" src="${isolatedSite.url}?${query}"></iframe>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const page = await openPage(browser, `http://localhost:${server.address().port}/`, { viewport: { width: 390, height: 2100 } });
    const frame = await (await page.waitForSelector('#playground')).contentFrame();
    await frame.waitForSelector('.pool-unavailable', { timeout: 30_000 });
    assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
    assert.equal(await frame.$('.threads-elsewhere'), null, 'Pool.map runs here: no offer');
    const trace = await frame.evaluate((c) => window.playground.run(c), twoProcesses);
    assert.ok(computeOverlaps(trace), 'a process strategy still runs, in parallel');

    await frame.selectOption('#strategy', 'queue.Queue');
    const offer = await frame.waitForSelector('.threads-elsewhere[data-framed="true"]');
    assert.match(await offer.textContent(), /queue\.Queue needs threads .* not cross-origin isolated/);
    const link = await frame.$('a.open-in-new-tab');
    assert.equal(await link.textContent(), 'Open this setup in a new tab');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener');
    const href = new URL(await link.getAttribute('href'));
    const shown = new URL(frame.url());
    assert.equal(href.origin + href.pathname, new URL(isolatedSite.url).href, 'the same page');
    assert.equal(href.search, shown.search, 'the same setup: the current URL query');
    assert.equal(href.searchParams.get('strategy'), 'queue.Queue');
    assert.equal(href.searchParams.get('items'), '6');
    assert.equal(await frame.isDisabled('#run'), true, 'queue.Queue cannot run here');
    await page.screenshot({ path: new URL('threads-elsewhere-390.png', shots).pathname, fullPage: true });

    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await tab.waitForSelector('.pool-ready', { timeout: 30_000 });
    assert.equal(await tab.evaluate(() => self.crossOriginIsolated), true, 'a top-level page served with the headers is isolated');
    assert.equal(new URL(tab.url()).searchParams.get('strategy'), 'queue.Queue');
    assert.equal(await tab.inputValue('#strategy'), 'queue.Queue');
    await tab.close();
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('at top level on a host without the headers, a thread strategy says plainly that the host must send them', async () => {
  const page = await openPage(browser, `${plain.url}?strategy=queue.Queue&workers=2&items=6`, { viewport: { width: 390, height: 900 } });
  const offer = await page.waitForSelector('.threads-elsewhere', { timeout: 30_000 });
  assert.equal(await offer.getAttribute('data-framed'), 'false');
  assert.match(await offer.textContent(), /this host must send the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
  assert.equal(await page.$('a.open-in-new-tab'), null, 'a new tab of this host would not be isolated either');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits 390 px');
  await page.screenshot({ path: new URL('threads-elsewhere-top-390.png', shots).pathname, fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});

/**
 * Page setup: the first pool's process 1 crashes when it reads its third task (its script
 * throws an uncaught error, which the page hears as the worker's `error` event, as it would
 * an out-of-memory). The page's own copy of the script (request 1, checked by its
 * integrity hash) and every later process (a replacement) get the script unchanged.
 */
const crashProcess1 = (page) => {
  let served = 0;
  return page.route(/process_worker\.js$/, async (route) => {
    served += 1;
    const body = await readFile(dist + new URL(route.request().url()).pathname.slice(1), 'utf8');
    const crash = served === 2 || served === 3
      ? `if (typeof WorkerGlobalScope !== 'undefined' && self.name === 'process 1') { let tasks = 0; self.addEventListener('message', (event) => { if ((Array.isArray(event.data) || event.data instanceof Uint8Array) && ++tasks === 3) { event.stopImmediatePropagation(); throw new Error('simulated crash'); } }); }\n`
      : '';
    await route.fulfill({ status: 200, contentType: 'text/javascript', body: crash + body });
  });
};

// Twelve chunks of one item of about 150 ms each.
const longChunks = { strategy: 'Pool.map', workers: 2, items: 12, chunksize: 1, cost: 1000000 };

test('a Pool worker that dies is replaced, the other chunks go on, and the run ends saying CPython would wait forever for the lost chunk', async (t) => {
  const page = await openPage(browser, plain.url, { setup: crashProcess1 });
  await page.waitForFunction(() => window.playground?.run, null, { timeout: 30_000 });
  const started = Date.now();
  const running = page.evaluate((c) => window.playground.run(c, { baseline: false }), longChunks);
  const trace = await running;
  assert.ok(Date.now() - started < 30_000, 'the run ended, never hung');
  assert.equal(trace.stopped, true, 'the caller got no list');
  assert.equal(trace.results, null);
  const said = trace.notes[0].match(/^Process 1 died while running chunk (\d+) \(.*simulated crash.*\)\. CPython's Pool started a replacement and the other chunks went on, but chunk \1's result never comes: the caller would wait forever for it\./);
  assert.ok(said, trace.notes[0]);
  const lostIndex = Number(said[1]);
  const lost = trace.chunks.find((c) => c.index === lostIndex);
  assert.ok(lost.stopped && lost.worker === 1, `chunk ${lostIndex} was cut short on lane 1`);
  assert.equal(trace.chunks.length, 12, 'every chunk is in the trace');
  assert.ok(trace.chunks.filter((c) => c.index !== lostIndex).every((c) => !c.stopped), 'the others all came back');
  assert.equal(trace.processes.replacements.length, 1);
  const [replacement] = trace.processes.replacements;
  assert.equal(replacement.process, 1);
  assert.ok(replacement.ready_ms > replacement.died_ms, `the replacement started: ${JSON.stringify(replacement)}`);
  assert.ok(Math.abs(replacement.died_ms - lost.end_ms) < 1e-6, 'the lost chunk ends where its process died');
  assert.ok(
    trace.chunks.some((c) => c.worker === 1 && !c.stopped && c.start_ms >= replacement.ready_ms),
    'the replacement ran chunks',
  );
  t.diagnostic(`process 1 died at ${replacement.died_ms.toFixed(0)} ms with chunk ${lostIndex}; its replacement was ready ${(replacement.ready_ms - replacement.died_ms).toFixed(0)} ms later`);
  const next = await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 6, chunksize: 2, cost: 10 });
  assert.equal(next.results_in_order, true, 'the pool works on');
  page.problems = page.problems.filter((p) => !/simulated crash/.test(p));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the page shows a dead Pool worker: its lost chunk, its replacement starting on its lane, and why the run ended', async () => {
  for (const width of [1280, 390]) {
    const query = new URLSearchParams(Object.entries(longChunks)).toString();
    const page = await openPage(browser, `${plain.url}?${query}`, { viewport: { width, height: 900 }, setup: crashProcess1 });
    await page.waitForSelector('#run:not([disabled])', { timeout: 30_000 });
    await page.click('#run');
    await page.waitForSelector('.run', { timeout: 60_000 });
    assert.match(await page.textContent('#notes'), /Process 1 died while running chunk \d+ .* the caller would wait forever for it/);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `fits ${width} px`);
    await page.screenshot({ path: new URL(`process-died-${width}.png`, shots).pathname, fullPage: true });
    page.problems = page.problems.filter((p) => !/simulated crash/.test(p));
    assert.deepEqual(page.problems, []);
    await page.close();
  }
});

test('16 processes start a few at a time: never more than os.cpu_count() (at least 2) instantiating at once', async (t) => {
  const page = await openPage(browser, plain.url);
  const trace = await runInPage(page, { strategy: 'Pool.map', workers: 16, items: 64, chunksize: 1, cost: 300000 });
  const limit = Math.max(2, await page.evaluate(() => navigator.hardwareConcurrency));
  const spans = trace.processes.startup_ms
    .map((ms, lane) => ms === null ? null : [trace.worker_started_ms[lane] - ms, trace.worker_started_ms[lane]])
    .filter(Boolean);
  assert.ok(spans.length >= limit, `at least the first ${limit} were ready: ${JSON.stringify(spans)}`);
  const most = Math.max(...spans.map(([from]) => spans.filter(([a, b]) => a <= from && from < b).length));
  assert.ok(most <= limit, `at most ${limit} starting at once, saw ${most}: ${JSON.stringify(spans)}`);
  const firstTwo = spans.map(([, ready]) => ready).sort((a, b) => a - b)[1];
  t.diagnostic(`16 processes: the first 2 ready at ${firstTwo.toFixed(0)} ms; ${spans.length} ready by the end of the run`);
  assert.equal(trace.results_in_order, true);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a 16-process run draws each start-up where it happened, at 1280 and 390 px', async () => {
  for (const width of [1280, 390]) {
    const page = await openPage(browser, `${plain.url}?strategy=Pool.map&workers=16&items=64&chunksize=1&cost=300000`, { viewport: { width, height: 900 } });
    await page.waitForSelector('#run:not([disabled])', { timeout: 30_000 });
    await page.click('#run');
    await page.waitForSelector('.run', { timeout: 60_000 });
    assert.match(await page.textContent('[data-figure="startup"]'), /processes started by this run/);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `fits ${width} px`);
    await page.screenshot({ path: new URL(`processes-16-${width}.png`, shots).pathname, fullPage: true });
    assert.deepEqual(page.problems, []);
    await page.close();
  }
});

test('a chunk written ahead waits in its process\'s pipe, recorded apart from queue, transfer and compute', async () => {
  const page = await openPage(browser, plain.url);
  await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 2, cost: 10 });
  const { trace, csv, chrome } = await page.evaluate(async (config) => {
    const trace = await window.playground.run(config);
    return { trace, csv: window.playground.export(trace, 'csv'), chrome: JSON.parse(window.playground.export(trace, 'chrome')) };
  }, { strategy: 'Pool.map', workers: 2, items: 8, chunksize: 1, cost: 300000 });
  assert.equal(trace.results_in_order, true);
  for (const c of trace.chunks) {
    assert.ok(c.pipe_ms >= 0 && c.send_ms >= 0 && c.compute_ms > 0 && c.return_ms >= 0, JSON.stringify(c));
    assert.ok(Math.abs(c.queue_ms + c.pipe_ms - c.start_ms) < 1e-6, 'written at queue_ms, started on after its pipe wait');
  }
  const piped = trace.chunks.filter((c) => c.pipe_ms > 10);
  assert.ok(piped.length >= 2, `chunks waited in pipes while their process computed: ${trace.chunks.map((c) => c.pipe_ms.toFixed(1))}`);
  for (const c of piped) {
    const before = trace.chunks.find((o) => o.worker === c.worker && o.index < c.index && o.start_ms < c.start_ms && o.start_ms + o.send_ms + o.compute_ms <= c.start_ms + 1e-6);
    assert.ok(before, `chunk ${c.index} waited behind a chunk its process computed`);
  }
  const [header, ...rows] = csv.trim().split('\r\n').map((row) => row.split(','));
  assert.deepEqual(header.slice(-5), ['queue_ms', 'pipe_ms', 'send_ms', 'compute_ms', 'return_ms']);
  const pipeColumn = header.indexOf('pipe_ms');
  assert.deepEqual(rows.map((row) => Number(row[pipeColumn])), trace.chunks.map((c) => c.pipe_ms));
  const tasks = (chrome.traceEvents ?? chrome).filter((e) => e.cat === 'task');
  assert.deepEqual(tasks.map((e) => e.args.pipe_ms).sort(), trace.chunks.map((c) => c.pipe_ms).sort());
  assert.deepEqual(page.problems, []);
  await page.close();
});
