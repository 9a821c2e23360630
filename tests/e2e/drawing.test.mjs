// End-to-end: drawing is bounded by the pixels, not by the tasks, and never freezes the page;
// with the GIL on, the lanes show one thread computing at a time, from the recorded hand-overs.
// The tight figures (frame time of a 1,000,000-task trace, longest task) are the benchmark's
// (bench.mjs); here the bounds are structural, plus a generous bound on long tasks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;

// The goal is no task over 50 ms (the benchmark prints the real figure). This test runs on 2
// shared cores while other builds may run, which can stretch a 40 ms task threefold; before
// the drawing was bounded, arrival took 440–610 ms and each resize 340–650 ms.
const LONG_TASK_BOUND_MS = 150;

before(async () => ({ browser, site } = await startBrowserAndSite()));
after(() => stopBrowserAndSite(browser, site));

/** Records every long task (over 50 ms) of the page in `window.longTasks`, from its load. */
async function watchLongTasks(page) {
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        window.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** The long tasks since `since` (page time, ms). */
const longTasksSince = (page, since) =>
  page.evaluate((t) => window.longTasks.filter((e) => e.start >= t), since);

/** Waits for two animation frames, so that whatever was scheduled has run. */
const settle = (page) =>
  page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

test('a 200,000-chunk run arrives and redraws with no long task, drawing no more than the pixels', async () => {
  const page = await openPage(browser, 'about:blank');
  await watchLongTasks(page);
  await page.goto(`${site.url}?strategy=Pool.map&workers=2&items=1000000&chunksize=5&cost=0`);
  await waitForPool(page);
  // The 1-worker baseline of this workload is measured on its first run and then reused; the
  // run measured here is the one a person repeats (the baseline's first measurement is the
  // session's, not the drawing's).
  await page.evaluate(() => window.playground.run({ strategy: 'Pool.map', workers: 2, items: 1000000, chunksize: 5, cost: 0 }).then(() => null));
  await settle(page);
  // The lanes of the run shown so far lose their mark; the new run's drawing sets it again.
  await page.evaluate(() => document.querySelector('#lanes').removeAttribute('data-boxes'));
  const clicked = await page.evaluate(() => performance.now());
  await page.click('#run');
  await page.waitForSelector('#lanes[data-boxes]', { timeout: 120_000 });
  await settle(page);
  assert.match(await page.textContent('.run h2'), /200000 chunks of 5|200,000 chunks of 5/);
  const arrival = await longTasksSince(page, clicked);
  const worst = (tasks) => Math.max(0, ...tasks.map((t) => t.duration));
  assert.ok(worst(arrival) <= LONG_TASK_BOUND_MS, `arrival: long tasks ${JSON.stringify(arrival)}`);

  // What is drawn is bounded by the pixels: at most one box per lane and pixel column, a
  // binned strip, and a page of a few hundred elements.
  const drawn = await page.evaluate(() => {
    const lanes = document.querySelector('#lanes');
    return {
      boxes: Number(lanes.dataset.boxes),
      width: lanes.clientWidth,
      cells: document.querySelectorAll('.split .cell, .gather .cell').length,
      elements: document.querySelectorAll('.run *').length,
    };
  });
  assert.ok(drawn.boxes >= 2 && drawn.boxes <= 2 * drawn.width, `${drawn.boxes} boxes in 2 lanes of ${drawn.width} px`);
  assert.ok(drawn.cells <= 2 * 240, `${drawn.cells} strip cells`);
  assert.ok(drawn.elements < 2000, `${drawn.elements} elements in the run's view`);
  await page.screenshot({ path: new URL('drawing-200k-1280.png', shots).pathname, fullPage: true });

  for (const width of [700, 390, 1280]) {
    const before = await page.evaluate(() => performance.now());
    const drawnWidth = await page.evaluate(() => document.querySelector('#lanes').width);
    await page.setViewportSize({ width, height: 900 });
    await page.waitForFunction((w) => document.querySelector('#lanes').width !== w, drawnWidth);
    await settle(page);
    const resize = await longTasksSince(page, before);
    assert.ok(worst(resize) <= LONG_TASK_BOUND_MS, `resize to ${width} px: long tasks ${JSON.stringify(resize)}`);
    const boxes = await page.evaluate(() => {
      const lanes = document.querySelector('#lanes');
      return { boxes: Number(lanes.dataset.boxes), width: lanes.clientWidth };
    });
    assert.ok(boxes.boxes <= 2 * boxes.width, `${boxes.boxes} boxes at ${boxes.width} px`);
    if (width === 390) {
      await page.screenshot({ path: new URL('drawing-200k-390.png', shots).pathname, fullPage: true });
    }
  }

  // The trace handed to the caller is complete, its per-task fields built when read.
  const exported = await page.evaluate(async () => {
    const t = await window.playground.run({ strategy: 'Pool.map', workers: 2, items: 1000, chunksize: 5, cost: 0 });
    const lazy = Object.getOwnPropertyDescriptor(t, 'chunks');
    const whole = JSON.parse(JSON.stringify(t));
    return { lazy: typeof lazy.get, chunks: t.chunks.length, saved: whole.chunks.length, arrived: whole.arrived.length, wall: whole.wall_ms, metrics: typeof whole.metrics.speedup };
  });
  assert.deepEqual(exported.lazy, 'function', 'the chunks are built when read');
  assert.equal(exported.chunks, 200);
  assert.equal(exported.saved, 200, 'JSON.stringify reads every field');
  assert.equal(exported.arrived, 200);
  assert.equal(exported.metrics, 'number');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('with the GIL on, the recorded hold slices never overlap and only the holder is drawn computing', async () => {
  const page = await openPage(browser, site.url);
  await waitForPool(page);
  const t = await page.evaluate(() => window.playground.run({
    strategy: 'ThreadPoolExecutor.map', workers: 3, items: 9, cost: 400000, gil: true,
  }));
  assert.equal(t.gil, true);
  const slices = t.gil_slices;
  assert.ok(slices.length >= 3, `${slices.length} slices`);
  for (let i = 1; i < slices.length; i += 1) {
    assert.ok(slices[i].start_ms >= slices[i - 1].end_ms, `slice ${i - 1} ${JSON.stringify(slices[i - 1])} overlaps ${JSON.stringify(slices[i])}`);
  }
  assert.deepEqual([...new Set(slices.map((s) => s.worker))].sort(), [0, 1, 2], 'every thread held it in turn');
  const held = slices.reduce((sum, s) => sum + s.end_ms - s.start_ms, 0);
  assert.ok(held <= t.wall_ms, `held ${held} ms in a run of ${t.wall_ms} ms`);

  // The lanes: solid (computing) stretches never overlap across lanes, every lane has some,
  // and together they span no more than the plot, while the three tasks' boxes span it
  // nearly three times over (all three threads are inside a task all along).
  await page.waitForSelector('#lanes[data-holding]');
  const lanes = await page.evaluate(() => {
    const canvas = document.querySelector('#lanes');
    return { holding: canvas.dataset.holding, width: canvas.clientWidth };
  });
  const spans = lanes.holding.split(' ').map((word) => {
    const [worker, range] = word.split(':');
    const [x0, x1] = range.split('-').map(Number);
    return { worker: Number(worker), x0, x1 };
  });
  for (const a of spans) {
    for (const b of spans) {
      if (a.worker !== b.worker) {
        assert.ok(a.x1 <= b.x0 || b.x1 <= a.x0, `lanes ${a.worker} and ${b.worker} both computing: ${JSON.stringify([a, b])}`);
      }
    }
  }
  assert.deepEqual([...new Set(spans.map((s) => s.worker))].sort(), [0, 1, 2]);
  const solid = spans.reduce((sum, s) => sum + s.x1 - s.x0, 0);
  assert.ok(solid <= lanes.width, `${solid} px solid in a plot under ${lanes.width} px`);
  const busy = t.chunks.reduce((sum, c) => sum + c.end_ms - c.start_ms, 0);
  assert.ok(busy > 2 * t.wall_ms, `three threads inside tasks for ${busy} ms of ${t.wall_ms} ms`);
  assert.match(await page.textContent('.lanes figcaption'), /solid only where its thread held the GIL/);
  await page.screenshot({ path: new URL('gil-lanes-1280.png', shots).pathname, fullPage: true });
  await page.setViewportSize({ width: 390, height: 900 });
  await settle(page);
  await page.screenshot({ path: new URL('gil-lanes-390.png', shots).pathname, fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.close();
});
