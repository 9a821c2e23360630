// Sweeps: playground.sweep(config, axes) and the Sweep button run a grid of runs of one
// workload, one point after another after one untimed warm-up run; the page plots wall time
// and speed-up, lists the points in a table, marks the fastest, links each point to its run
// and exports the whole sweep. Stop ends a sweep with the points done so far (none when it
// comes during the warm-up); bad axes are refused with a message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

// Many tiny items of a process pool: chunksize 1 pays a task's hand-out and pickling per item.
const tiny = { strategy: 'Pool.map', items: 2000, cost: 50 };
const grid = { workers: [1, 2, 4], chunksize: [1, 4, 16] };

async function ready(page) {
  await waitForPool(page);
  await page.waitForFunction(() => window.playground?.sweep, null, { timeout: 30_000 });
}

test('a 3 × 3 sweep completes, plots, tables and links its points, and finds a larger chunk size faster', async () => {
  const page = await openPage(browser, site.url, { viewport: { width: 1280, height: 900 } });
  await ready(page);
  const points = await page.evaluate(([c, a]) => window.playground.sweep(c, a), [tiny, grid]);
  assert.equal(points.length, 9);
  const wall = (w, c) => points.find((p) => p.settings.workers === w && p.settings.chunksize === c).wall_ms;
  for (const p of points) {
    assert.equal(p.status, 'ran');
    assert.ok(p.wall_ms > 0, JSON.stringify(p));
    assert.equal(p.link, `?strategy=Pool.map&workers=${p.settings.workers}&chunksize=${p.settings.chunksize}&items=2000&cost=50`);
    // The speed-up is the same chunk size's 1-worker wall time over this one's.
    const expected = wall(1, p.settings.chunksize) / p.wall_ms;
    assert.ok(Math.abs(p.speedup - expected) < 1e-9, `${p.speedup} vs ${expected}`);
  }
  // The lesson: on many tiny items, chunksize 1 is slow; a larger chunk is faster.
  for (const w of grid.workers) {
    assert.ok(Math.min(wall(w, 4), wall(w, 16)) < wall(w, 1), `workers ${w}: ${wall(w, 1)} ${wall(w, 4)} ${wall(w, 16)}`);
  }
  const fastest = points.reduce((a, b) => (b.wall_ms < a.wall_ms ? b : a));
  assert.ok(fastest.settings.chunksize > 1);
  // The page: its table lists the 9 points with their times, the fastest marked.
  await page.waitForSelector('#sweep-view[data-finished="true"]');
  const rows = await page.$$eval('.sweep-row', (rs) => rs.map((r) => ({
    cells: [...r.querySelectorAll('td')].map((td) => td.textContent),
    best: r.classList.contains('best'),
  })));
  assert.equal(rows.length, 9);
  const bestRows = rows.filter((r) => r.best);
  assert.equal(bestRows.length, 1);
  assert.deepEqual(bestRows[0].cells.slice(0, 2), [String(fastest.settings.workers), String(fastest.settings.chunksize)]);
  const summary = await page.textContent('.sweep-summary');
  assert.match(summary, new RegExp(`^9 of 9 points run\\. Points measured after one untimed warm-up run of [\\d.,]+ ms \\(workers 4, chunksize 1\\)\\. Fastest: workers ${fastest.settings.workers}, chunksize ${fastest.settings.chunksize} in `));
  // The charts: speed-up and wall time against workers, wall time against chunk size, each
  // with the 9 points and one marked fastest; the ideal line, this machine's processors and
  // the Amdahl curve on the speed-up chart.
  const charts = await page.$$eval('.sweep-chart', (cs) => cs.map((c) => ({
    x: c.dataset.x, y: c.dataset.y,
    points: c.querySelectorAll('.sweep-point').length,
    best: [...c.querySelectorAll('.sweep-point.best')].map((p) => Number(p.dataset.index)),
  })));
  assert.deepEqual(charts.map((c) => `${c.y}/${c.x}`), ['speedup/workers', 'wall_ms/workers', 'wall_ms/chunksize']);
  for (const c of charts) assert.equal(c.points, 9, JSON.stringify(c));
  const bestIndex = Number(await page.getAttribute('#sweep-view', 'data-best'));
  assert.equal(points[bestIndex].wall_ms, fastest.wall_ms);
  for (const c of charts) assert.deepEqual(c.best, [bestIndex]);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.match(await page.textContent('.sweep-chart .cores text'), new RegExp(`this machine: ${cores} logical processors`));
  assert.equal(await page.locator('.sweep-chart .ideal path').count(), 1);
  assert.equal(await page.locator('.sweep-chart .amdahl path').count(), 1);
  assert.match(await page.textContent('.sweep-chart .amdahl text'), /^Amdahl, serial [\d.]+%$/);
  await page.screenshot({ path: new URL('sweep-1280.png', shots).pathname, fullPage: true });
  await page.locator('#sweep-view').screenshot({ path: new URL('sweep-view-1280.png', shots).pathname });

  // Each point opens its run: "show" draws its recorded trace; its link sets the controls.
  const second = rows.findIndex((r) => r.cells[0] === '2' && r.cells[1] === '4');
  await page.locator('.sweep-row').nth(second).locator('.show-point').click();
  await page.waitForFunction(() => /^Pool\.map on 2 workers: 2,000 items in 500 chunks of 4$/.test(document.querySelector('.run h2')?.textContent ?? ''));
  // Clicked on the point itself: another series' point may sit on top of it when their
  // times are alike.
  await page.locator('.sweep-chart[data-y="wall_ms"][data-x="chunksize"] .sweep-point[data-index="0"]').dispatchEvent('click');
  await page.waitForFunction(() => /^Pool\.map on 1 worker: 2,000 items in 2,000 chunks of 1$/.test(document.querySelector('.run h2')?.textContent ?? ''));
  const href = await page.locator('.sweep-row').nth(second).locator('.point-link').getAttribute('href');
  const linked = await openPage(browser, new URL(href, site.url).href);
  await linked.waitForSelector('#workers');
  assert.deepEqual([await linked.inputValue('#workers'), await linked.inputValue('#chunksize'), await linked.inputValue('#items')], ['2', '4', '2000']);
  assert.deepEqual(linked.problems, []);
  await linked.context().close();

  // The export: a trace of traces, each point's settings, wall time and link.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-sweep')]);
  const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(exported.points.length, 9);
  assert.equal(exported.best, bestIndex);
  assert.deepEqual(exported.points.map((p) => p.wall_ms), points.map((p) => p.wall_ms));
  assert.deepEqual(exported.points.map((p) => p.link), points.map((p) => p.link));
  assert.ok(exported.amdahl.serial_fraction >= 0 && exported.amdahl.serial_fraction <= 1);
  // The warm-up: the point with the most workers, run once untimed, not a point.
  assert.deepEqual(exported.warm_up.settings, { workers: 4, chunksize: 1 });
  assert.equal(exported.warm_up.status, 'ran');
  assert.ok(exported.warm_up.wall_ms > 0);
  assert.equal(exported.summary, summary);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#sweep-view').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('sweep-390.png', shots).pathname, fullPage: true });
  await page.locator('#sweep-view').screenshot({ path: new URL('sweep-view-390.png', shots).pathname });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the sweep fits a phone');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// Slow enough points (a second each on one worker) to stop a sweep between its first and last.
const waits = { strategy: 'Pool.map', items: 200, workload: 'io', cost: 5000 };

test('Stop in the middle of a sweep settles it with the points done so far', async () => {
  const page = await openPage(browser, site.url);
  await ready(page);
  const done = () => page.$$eval('.sweep-row.ran, .sweep-row.best', (rs) => rs.length);
  // Through the API and playground.cancel().
  const outcome = await page.evaluate(async ([c, a]) => {
    const sweeping = window.playground.sweep(c, a);
    while (document.querySelectorAll('.sweep-row.ran, .sweep-row.best').length < 2) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const stopped = window.playground.cancel();
    return { stopped, points: await sweeping };
  }, [waits, grid]);
  assert.equal(outcome.stopped, true, 'a point was running');
  assert.ok(outcome.points.length >= 2 && outcome.points.length < 9, `${outcome.points.length} points`);
  for (const p of outcome.points) assert.ok(p.status === 'ran' && p.wall_ms > 0, JSON.stringify(p));
  await page.waitForSelector('#sweep-view[data-finished="true"][data-stopped="true"]');
  assert.equal(await done(), outcome.points.length);
  assert.match(await page.textContent('.sweep-summary'), new RegExp(`^${outcome.points.length} of 9 points run, stopped\\.`));
  assert.equal(await page.locator('.sweep-row.pending').count() + await page.locator('.sweep-row.stopped').count(), 9 - outcome.points.length);

  // Through the Sweep button and the Stop button; the Run button is back afterwards.
  await page.fill('#items', '200');
  await page.selectOption('#workload', 'io');
  await page.fill('#cost', '5000');
  await page.fill('#sweep-values-1', '1 2 4');
  await page.fill('#sweep-values-2', '1 4 16');
  await page.click('#sweep');
  await page.waitForSelector('#sweep-view[data-finished="false"]');
  assert.equal(await page.getAttribute('#run', 'aria-disabled'), 'true', 'no run during a sweep');
  await page.waitForFunction(() => document.querySelectorAll('.sweep-row.ran, .sweep-row.best').length >= 1);
  await page.click('#cancel');
  await page.waitForSelector('#sweep-view[data-finished="true"][data-stopped="true"]');
  const ran = await done();
  assert.ok(ran >= 1 && ran < 9, `${ran} points`);
  await page.waitForFunction(() => document.querySelector('#run')?.getAttribute('aria-disabled') === 'false');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('Stop during the warm-up run ends the sweep with no point, and the promise settles', async () => {
  const page = await openPage(browser, site.url);
  await ready(page);
  // The warm-up runs the 2-worker point (about half a second), shown in progress with Stop.
  const outcome = await page.evaluate(async ([c, a]) => {
    const sweeping = window.playground.sweep(c, a);
    while (!document.querySelector('#sweep-view[data-warming-up="true"]') || !document.querySelector('#cancel')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const summary = document.querySelector('.sweep-summary').textContent;
    const stopped = window.playground.cancel();
    return { summary, stopped, points: await sweeping };
  }, [waits, { workers: [1, 2] }]);
  assert.equal(outcome.summary, '0 of 2 points run. Warming up: one untimed run (workers 2) before the points.');
  assert.equal(outcome.stopped, true, 'the warm-up was running');
  assert.deepEqual(outcome.points, []);
  await page.waitForSelector('#sweep-view[data-finished="true"][data-stopped="true"][data-warming-up="false"]');
  assert.equal(await page.textContent('.sweep-summary'), '0 of 2 points run, stopped. Stopped during the untimed warm-up run (workers 2).');
  assert.equal(await page.locator('.sweep-row.pending').count(), 2);
  // The warm-up is not drawn as the run shown, and the Run button is back.
  assert.equal(await page.locator('.run').count(), 0);
  await page.waitForFunction(() => document.querySelector('#run')?.getAttribute('aria-disabled') === 'false');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('bad axes are refused with a clear message, and nothing runs', async () => {
  const page = await openPage(browser, site.url);
  await ready(page);
  const refusal = (config, axes) => page.evaluate(([c, a]) => window.playground.sweep(c, a).then(() => 'resolved', (e) => e.message), [config, axes]);
  assert.equal(await refusal(tiny, { workers: [] }), 'the workers axis is empty: give at least one value');
  assert.equal(await refusal(tiny, { workers: [1, 'x'] }), "workers: 'x' is not a whole number. Workers must be a whole number from 1 to 16");
  assert.equal(await refusal(tiny, { workers: [1, true] }), 'workers: expected a number, not true');
  assert.equal(await refusal(tiny, { workers: 4 }), 'the workers axis must be an array of numbers, not a number');
  assert.equal(await refusal(tiny, {}), 'a sweep needs at least one axis, e.g. { workers: [1, 2, 4] }');
  assert.equal(await refusal(tiny, [1, 2]), 'the axes must be an object such as { workers: [1, 2, 4] }, not an Array');
  assert.equal(await refusal(tiny, { shape: [1] }), 'shape cannot be swept: sweep one of the numeric settings (workers, chunksize, items, cost, seed, requests, latency_ms, limit, timeout_ms)');
  const many = Array.from({ length: 16 }, (_, i) => i + 1);
  assert.equal(await refusal(tiny, { workers: many, chunksize: [1, 2, 3, 4, 5] }), 'too many points: 16 × 5 makes 80; a sweep runs at most 64');
  assert.match(await refusal({ strategy: 'Pool.map', items: 100, workload: 'io', cost: 160000 }, { workers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }),
    /^this sweep is too big: its 10 points and their warm-up run would take about 3 minutes on one worker \(the limit is 2\)/);
  assert.match(await refusal({ strategy: 'Pool.map', workers: 99 }, { chunksize: [1] }), /workers/);
  // Nothing ran: no sweep and no run on the page.
  assert.equal(await page.locator('#sweep-view').count(), 0);
  assert.equal(await page.locator('.run').count(), 0);
  // A point the checks refuse is reported, never run.
  const points = await page.evaluate(() => window.playground.sweep({ strategy: 'Pool.map', items: 200, workload: 'io', cost: 100 }, { cost: [100, 1000000] }));
  assert.deepEqual(points.map((p) => p.status), ['ran', 'refused']);
  assert.match(points[1].message, /too big/);
  assert.equal(points[1].link, null);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
