// The verdict: every trace carries `verdict` (what dominates, the sentence, the suggested
// settings, the predicted wall time, the worker-time account and the lower bound); the page
// shows it beside the figures with the lower bound drawn on the lanes, and its button runs
// the suggestion and shows the prediction against the measured wall time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

/** The small fields of a trace, the verdict among them. */
const summary = (t) => ({ wall_ms: t.wall_ms, workers: t.workers, chunksize: t.chunksize, verdict: t.verdict });

test('on many tiny items at chunksize 1 the verdict names the per-task overhead, suggests a larger chunksize, and its run is faster', async () => {
  const page = await openPage(browser, site.url, { viewport: { width: 1280, height: 900 } });
  await waitForPool(page);
  await page.waitForFunction(() => window.playground?.run);
  const config = { strategy: 'Pool.map', workers: 2, items: 2000, cost: 2000, chunksize: 1 };
  const run = (c) => page.evaluate((c) => window.playground.run(c, { baseline: false }).then((t) => ({
    wall_ms: t.wall_ms, workers: t.workers, chunksize: t.chunksize, verdict: t.verdict,
  })), c);
  // The first run starts the processes; the second reuses them, as a pool reused across maps.
  await run(config);
  const slow = await run(config);
  const { verdict } = slow;
  for (const key of ['dominant', 'sentence', 'suggested', 'predicted_wall_ms', 'breakdown', 'lower_bound_ms']) {
    assert.ok(key in verdict, `verdict.${key} is there`);
  }
  // The account sums to workers × wall time.
  const parts = Object.values(verdict.breakdown);
  assert.equal(parts.length, 7);
  const total = parts.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - slow.workers * slow.wall_ms) < 1e-6 * total + 1e-6, `${total} vs ${slow.workers} × ${slow.wall_ms}`);
  // What dominates is the largest part: here the cost of each task besides its work.
  const largest = Object.entries(verdict.breakdown).sort((a, b) => b[1] - a[1])[0][0];
  assert.equal(`${verdict.dominant}_ms`, largest);
  assert.ok(['transfer', 'queue_wait'].includes(verdict.dominant), JSON.stringify(verdict));
  assert.ok(verdict.suggested?.chunksize > 1, JSON.stringify(verdict));
  assert.ok(verdict.predicted_wall_ms < slow.wall_ms, JSON.stringify(verdict));
  assert.match(verdict.sentence, new RegExp(`^(Pickling and messages|Waiting for a task) is \\d+% of the workers' time: chunksize 1 → ${verdict.suggested.chunksize} would cut it to ~\\d+%, predicted [\\d,]+ ms \\([\\d.,]+× faster\\)\\.$`));
  assert.ok(verdict.lower_bound_ms > 0 && verdict.lower_bound_ms < slow.wall_ms);

  // The page shows the same verdict, its bar and legend, and the bound on the lanes.
  await page.waitForSelector('#verdict');
  assert.equal(await page.textContent('#verdict-sentence'), verdict.sentence);
  assert.equal(await page.getAttribute('#verdict', 'data-dominant'), verdict.dominant);
  const legend = await page.$$eval('.verdict-legend li', (ls) => ls.map((l) => l.dataset.part));
  assert.ok(legend.includes(verdict.dominant) && legend.includes('compute'), legend.join());
  const widths = await page.$$eval('.verdict-part', (ps) => ps.map((p) => parseFloat(p.style.width)));
  assert.ok(Math.abs(widths.reduce((a, b) => a + b, 0) - 100) < 0.1, widths.join());
  // The canvas records its bound once drawn, a frame after the run is shown.
  await page.waitForSelector('#lanes[data-lower-bound-ms]');
  const bound = Number(await page.getAttribute('#lanes', 'data-lower-bound-ms'));
  assert.ok(Math.abs(bound - verdict.lower_bound_ms) < 0.06, `${bound} vs ${verdict.lower_bound_ms}`);
  await page.screenshot({ path: new URL('verdict-1280.png', shots).pathname, fullPage: true });
  await page.locator('#verdict').screenshot({ path: new URL('verdict-view-1280.png', shots).pathname });

  // The button runs the suggestion; the new run shows the prediction against its wall time.
  assert.match(await page.textContent('#run-suggestion'), new RegExp(`^Run the suggestion: chunksize 1 → ${verdict.suggested.chunksize}$`));
  await page.click('#run-suggestion');
  await page.waitForSelector('#verdict-check', { timeout: 60_000 });
  const check = await page.$eval('#verdict-check', (c) => ({
    predicted: Number(c.dataset.predictedMs), measured: Number(c.dataset.measuredMs), before: Number(c.dataset.beforeMs), text: c.textContent,
  }));
  assert.equal(check.predicted, verdict.predicted_wall_ms);
  assert.equal(check.before, slow.wall_ms);
  assert.match(await page.textContent('.run h2'), new RegExp(`chunks of ${verdict.suggested.chunksize}\\b`));
  assert.ok(check.measured < check.before, `the suggestion ran in ${check.measured} ms, the original in ${check.before} ms`);
  assert.match(check.text, /^The suggestion \(chunksize 1 → \d+\): predicted [\d,]+ ms, measured [\d,]+ ms \(before: [\d,]+ ms, so [\d.,]+× faster\)\.$/);
  await page.locator('#verdict').screenshot({ path: new URL('verdict-check-1280.png', shots).pathname });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.$eval('#verdict', (v) => v.scrollWidth - v.clientWidth);
  assert.ok(overflow <= 0, `the verdict overflows by ${overflow} px`);
  await page.locator('#verdict').screenshot({ path: new URL('verdict-check-390.png', shots).pathname });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a run near its lower bound gets no suggestion, and the verdict reads at phone width', async () => {
  const page = await openPage(browser, site.url, { viewport: { width: 390, height: 844 } });
  await waitForPool(page);
  await page.waitForFunction(() => window.playground?.run);
  // Two equal chunks of real work on two processes, started beforehand: nothing to gain.
  const config = { strategy: 'Pool.map', workers: 2, items: 2, cost: 1000000, chunksize: 1 };
  const run = (c) => page.evaluate((c) => window.playground.run(c, { baseline: false }).then((t) => ({
    wall_ms: t.wall_ms, workers: t.workers, verdict: t.verdict,
  })), c);
  await run(config);
  const near = await run(config);
  assert.equal(near.verdict.dominant, 'compute', JSON.stringify(near.verdict));
  const processors = await page.evaluate(() => navigator.hardwareConcurrency);
  if (processors <= 2) {
    assert.equal(near.verdict.predicted_wall_ms, null);
    assert.equal(await page.locator('#run-suggestion').count(), 0);
  } else {
    // Only more workers can beat the bound of the workers it had.
    assert.ok(near.verdict.suggested.workers > 2, JSON.stringify(near.verdict));
  }
  await page.waitForSelector('#verdict');
  assert.equal(await page.textContent('#verdict-sentence'), near.verdict.sentence);
  // Nothing of the verdict is wider than the phone's screen.
  const overflow = await page.$eval('#verdict', (v) => v.scrollWidth - v.clientWidth);
  assert.ok(overflow <= 0, `the verdict overflows by ${overflow} px`);
  await page.screenshot({ path: new URL('verdict-390.png', shots).pathname, fullPage: true });
  await page.locator('#verdict').screenshot({ path: new URL('verdict-view-390.png', shots).pathname });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
