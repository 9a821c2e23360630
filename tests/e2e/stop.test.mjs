// Every run can be stopped: the Stop button, Escape and playground.cancel(), for every
// strategy and for the 1-worker baseline; the page is idle at once, the pool usable at once,
// and the partial trace kept, drawn and labelled as stopped. Also: progress while a run
// computes, and the 1-worker baseline measured once per workload, reused and skippable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, runInPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

/** Starts `config` through the API, stops it after `afterMs`, and returns the trace with how
 * long the stop took (from cancel() to the promise settling), measured in the page. */
async function runAndCancel(page, config, afterMs) {
  await page.waitForFunction(() => window.playground?.cancel);
  return page.evaluate(async ([c, wait]) => {
    const running = window.playground.run(c);
    await new Promise((r) => setTimeout(r, wait));
    const asked = performance.now();
    const stopped = window.playground.cancel();
    const trace = await running;
    return { trace, stopped, stop_ms: performance.now() - asked };
  }, [config, afterMs]);
}

// The largest run the guard allows: about two minutes on one worker.
const longest = { strategy: 'Pool.map', workers: 2, items: 1804, cost: 1000000 };

test('Stop ends the longest allowed run within 200 ms, keeps its partial trace and frees the pool', async () => {
  const page = await openPage(browser, `${site.url}?strategy=Pool.map&workers=2&items=1804&cost=1000000`);
  await waitForPool(page);
  await page.click('#run');
  await page.waitForSelector('#cancel');
  // Progress: the status line counts the items done, and the count grows.
  await page.waitForFunction(() => /[1-9][\d,]* of 1,804 items done/.test(document.querySelector('.status')?.textContent ?? ''), null, { timeout: 10_000 });
  const first = await page.textContent('.status');
  await page.waitForFunction((before) => document.querySelector('.status')?.textContent !== before, first, { timeout: 10_000 });
  // The lanes grow: each worker's count of items done, both workers at work.
  await page.waitForFunction(() => document.querySelectorAll('.live-lane').length === 2, null, { timeout: 10_000 });
  const lanes = () => page.$$eval('.live-lane', (ls) => ls.map((l) => [l.querySelector('.live-name').textContent, Number(l.dataset.done)]));
  const before = await lanes();
  assert.deepEqual(before.map(([name]) => name), ['worker 0', 'worker 1']);
  await page.waitForFunction((b) => [...document.querySelectorAll('.live-lane')].every((l, i) => Number(l.dataset.done) > b[i][1]), before, { timeout: 10_000 });
  const total = (await lanes()).reduce((sum, [, n]) => sum + n, 0);
  assert.ok(total > 0 && total < 1804);
  await page.screenshot({ path: new URL('progress-1280.png', shots).pathname });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('.live-lanes').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('progress-390.png', shots).pathname });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the progress fits a phone');
  await page.setViewportSize({ width: 1200, height: 900 });
  // Stop, timed in the page from the click until the Stop button is gone and the run drawn.
  const stopMs = await page.evaluate(() => new Promise((resolve) => {
    const clicked = performance.now();
    const observer = new MutationObserver(() => {
      if (!document.querySelector('#cancel') && document.querySelector('.stopped-summary')) {
        observer.disconnect();
        resolve(performance.now() - clicked);
      }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    document.querySelector('#cancel').click();
  }));
  assert.ok(stopMs < 200, `the page was idle ${stopMs.toFixed(0)} ms after Stop`);
  assert.match(await page.textContent('.stopped-summary'), /^Stopped after [\d,.]+ ms: [\d,]+ of [\d,]+ started tasks? finished/);
  assert.match(await page.textContent('[data-figure="speedup"]'), /not measured: the run was stopped/);
  // Every view says what happened: the heading, the gather, the result line.
  assert.match(await page.textContent('.run h2'), /^Pool.map on 2 workers: 1,804 items in 8 chunks of 226 \(stopped\)$/);
  assert.match(await page.textContent('.gather figcaption'), /the run was stopped: the results of \d+ tasks? reached the result handler/);
  assert.equal(await page.textContent('#results-preview'), 'none: the run was stopped before the caller had its list');
  assert.deepEqual(
    await page.$$eval('.gather .cell.stopped span', (cells) => cells.map((c) => c.textContent)),
    ['stopped', 'stopped'],
    'the tasks cut short never arrived, and the gather says so',
  );
  await page.screenshot({ path: new URL('stopped-run.png', shots).pathname, fullPage: true });
  // The pool is usable at once: a new run starts and finishes right away.
  const started = Date.now();
  const next = await runInPage(page, { strategy: 'Pool.map', workers: 2, items: 14, chunksize: 3, cost: 1000 });
  assert.equal(next.stopped, false);
  assert.equal(next.results_in_order, true);
  assert.ok(Date.now() - started < 5000, 'the next run was not held up by the stopped one');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a run starts once the page shows it running; its progress keeps its room, so nothing below moves', async () => {
  const page = await openPage(browser, `${site.url}?strategy=Pool.map&workers=3&items=1200&chunksize=1&cost=40000`);
  await waitForPool(page);
  // Its processes started and reused, so the run below is the map alone.
  await runInPage(page, { strategy: 'Pool.map', workers: 3, items: 6, chunksize: 1, cost: 0 });
  await page.evaluate(() => {
    const now = () => performance.timeOrigin + performance.now();
    window.watch = { shownAt: null, drawnAt: null, tops: new Set(), bars: [] };
    const predict = document.querySelector('.predict');
    new MutationObserver(() => {
      if (!window.watch.shownAt && document.querySelector('#cancel')) {
        window.watch.shownAt = now();
        requestAnimationFrame(() => setTimeout(() => { window.watch.drawnAt = now(); }, 0));
      }
      if (document.querySelector('#cancel')) window.watch.tops.add(Math.round(predict.getBoundingClientRect().top));
      for (const lane of document.querySelectorAll('.live-lane')) {
        const bar = lane.querySelector('.live-bar').getBoundingClientRect().width;
        const track = lane.querySelector('.live-track').getBoundingClientRect().width;
        window.watch.bars.push({ done: Number(lane.dataset.done), share: bar / track });
      }
    }).observe(document.querySelector('main'), { childList: true, subtree: true, attributes: true, characterData: true });
  });
  const config = { strategy: 'Pool.map', workers: 3, items: 1200, chunksize: 1, cost: 40000 };
  const trace = await page.evaluate((c) => window.playground.run(c, { baseline: false }), config);
  const watch = await page.evaluate(() => ({ ...window.watch, tops: [...window.watch.tops] }));
  assert.ok(watch.bars.some(({ done }) => done > 0), 'the lanes counted while the run went');
  assert.ok(watch.drawnAt !== null, 'a frame was drawn with the run shown');
  assert.ok(trace.started_at_ms >= watch.drawnAt,
    `the run's clock started at ${trace.started_at_ms.toFixed(1)}, before the page had drawn it running (${watch.drawnAt.toFixed(1)})`);
  // From Stop's appearing to the last count: room for 3 lanes from the start, so the block
  // under the run row never moved while the lanes counted.
  assert.equal(watch.tops.length, 1, `the block below moved: ${watch.tops.join(', ')}`);
  // The bars show the share of the items each lane has done.
  assert.ok(watch.bars.length > 0);
  for (const { done, share } of watch.bars) {
    assert.ok(Math.abs(share - done / 1200) < 0.01, `a bar shows ${share.toFixed(3)} for ${done} of 1,200 items`);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('playground.cancel() stops every strategy; the run resolves with its partial trace, marked stopped', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  const slow = { items: 400, cost: 1000000, workers: 2 };
  const configs = [
    { strategy: 'Pool.map', ...slow },
    { strategy: 'Pool.map_async', ...slow },
    { strategy: 'Pool.starmap', ...slow },
    { strategy: 'Pool.imap', ...slow },
    { strategy: 'Pool.imap_unordered', ...slow },
    { strategy: 'Pool.apply_async', ...slow },
    { strategy: 'ProcessPoolExecutor.map', ...slow },
    { strategy: 'ThreadPoolExecutor.map', ...slow, gil: false },
    { strategy: 'ThreadPoolExecutor.map', ...slow, gil: true },
    { strategy: 'threading.Thread', items: 16, cost: 1000000, gil: false },
    { strategy: 'queue.Queue', ...slow, gil: false },
    { strategy: 'rayon.par_iter', ...slow },
    { strategy: 'static', ...slow },
    { strategy: 'Pool.map', workload: 'io', items: 100, cost: 1000000, workers: 2 },
  ];
  for (const config of configs) {
    // A process strategy's run may begin with its processes' start-up (those the previous
    // Stop terminated are being replaced): it is stopped once its processes have had time to
    // start and take a task.
    const onProcesses = /^(Pool\.|ProcessPoolExecutor\.)/.test(config.strategy);
    const { trace, stopped, stop_ms } = await runAndCancel(page, config, onProcesses ? 1200 : 400);
    const name = `${config.strategy} ${config.workload ?? 'cpu'}${config.gil ? ' GIL' : ''}`;
    assert.equal(stopped, true, `${name}: cancel() found the run`);
    assert.equal(trace.stopped, true, `${name}: the trace is marked stopped`);
    assert.equal(trace.results, null, `${name}: the caller got no result list`);
    assert.ok(trace.chunks.length > 0, `${name}: what ran is kept`);
    assert.ok(trace.chunks.some((c) => c.stopped), `${name}: the tasks cut short are marked`);
    // The page idle within 200 ms of Stop is the first test's; here every strategy settles
    // promptly (the bound leaves room for this 2-core machine's other load).
    assert.ok(stop_ms < 500, `${name}: settled ${stop_ms.toFixed(0)} ms after cancel()`);
  }
  assert.equal(await page.evaluate(() => window.playground.cancel()), false, 'nothing left to stop');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('Escape stops a run, whatever has the focus', async () => {
  const page = await openPage(browser, `${site.url}?strategy=rayon.par_iter&workers=2&items=1804&cost=1000000`);
  await waitForPool(page);
  await page.click('#run');
  await page.waitForSelector('#cancel');
  await page.waitForTimeout(300);
  await page.waitForSelector('.live-lane');
  assert.match(await page.textContent('.live-name'), /^thread \d+$/, "rayon's lanes are its threads");
  await page.focus('#items');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.stopped-summary', { timeout: 2000 });
  assert.equal(await page.locator('#cancel').count(), 0, 'Stop shows only while it can act');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the 1-worker baseline is measured once per workload, reused, labelled, skippable and stoppable', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  const workload = { items: 60, cost: 100000 };
  const first = await runInPage(page, { strategy: 'Pool.map', workers: 2, ...workload });
  assert.equal(first.baseline, 'measured');
  assert.ok(first.baseline_wall_ms > 0);
  // Same workload, another strategy and worker count: the stored baseline, said so.
  const second = await runInPage(page, { strategy: 'rayon.par_iter', workers: 2, ...workload });
  assert.equal(second.baseline, 'stored');
  assert.equal(second.baseline_wall_ms, first.baseline_wall_ms);
  assert.match(await page.textContent('[data-figure="speedup"]'), /measured earlier on this page for the same workload/);
  // Skipped through the API option.
  const skipped = await page.evaluate(() => window.playground.run({ strategy: 'Pool.map', workers: 2, items: 61, cost: 100000 }, { baseline: false }));
  assert.equal(skipped.baseline_wall_ms, null);
  assert.match(await page.textContent('[data-figure="speedup"]'), /not measured \(the 1-worker run was skipped\)/);
  // Skipped with the box on the page.
  await page.goto(`${site.url}?strategy=Pool.map&workers=2&items=62&cost=100000`);
  await waitForPool(page);
  await page.uncheck('#measure-baseline');
  await page.click('#run');
  await page.waitForSelector('.run');
  await page.waitForFunction(() => !document.querySelector('#cancel'));
  assert.match(await page.textContent('[data-figure="speedup"]'), /skipped/);
  // Stopped while the baseline runs: the run's own trace stands, without a baseline.
  await page.check('#measure-baseline');
  await page.fill('#items', '100');
  await page.fill('#cost', '1000000');
  await page.click('#run');
  await page.waitForFunction(() => document.querySelector('#cancel')?.textContent === 'Skip', null, { timeout: 60_000 });
  assert.match(await page.textContent('.status'), /Measuring the same workload on 1 worker/);
  await page.click('#cancel');
  await page.waitForFunction(() => !document.querySelector('#cancel'), null, { timeout: 2000 });
  assert.equal(await page.locator('.stopped-summary').count(), 0, 'the run itself finished');
  assert.match(await page.textContent('[data-figure="speedup"]'), /skipped/);
  assert.deepEqual(page.problems, []);
  await page.close();
});
