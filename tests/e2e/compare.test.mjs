// Pin and compare: finished runs are pinned and drawn on one time scale, each named by the
// settings that differ from the first and the change in wall time (from the traces); a
// pinned run can be drawn as a ghost behind the current run's lanes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

/** The time a drawing of `trace` covers: its wall time, or its last task's end if later. */
const span = (trace) => Math.max(trace.wall_ms, ...trace.chunks.map((c) => c.end_ms));

test('two pinned runs of different chunk sizes share one time scale, with the difference named and the ratio right', async () => {
  const page = await openPage(browser, site.url, { viewport: { width: 1280, height: 900 } });
  await waitForPool(page);
  await page.waitForFunction(() => window.playground?.run);
  const base = { strategy: 'Pool.map', workers: 2, items: 2000, cost: 2000 };
  const run = (chunksize) => page.evaluate((c) => window.playground.run(c, { baseline: false }).then((t) => ({ wall_ms: t.wall_ms, chunks: t.chunks.map(({ end_ms }) => ({ end_ms })) })), { ...base, chunksize });
  const slow = await run(1);
  await page.click('#pin-run');
  await page.waitForSelector('.pinned-run');
  assert.equal(await page.locator('#pin-run').count(), 0, 'a pinned run is not offered again');
  const fast = await run(16);
  await page.click('#pin-run');
  await page.waitForFunction(() => document.querySelectorAll('.pinned-run').length === 2);

  // One time scale: the longer of the two spans, for both drawings.
  const shared = Math.max(span(slow), span(fast));
  const spans = await page.$$eval('.pinned-run .compare-lanes', (ss) => ss.map((s) => Number(s.dataset.spanMs)));
  assert.equal(spans.length, 2);
  for (const s of spans) assert.ok(Math.abs(s - shared) < 1e-6, `${s} vs ${shared}`);
  // Each run reads its own trace: its wall time, its heading, its boxes.
  const walls = await page.$$eval('.pinned-run', (rs) => rs.map((r) => Number(r.dataset.wallMs)));
  assert.deepEqual(walls, [slow.wall_ms, fast.wall_ms]);
  const headings = await page.$$eval('.pinned-run h3', (hs) => hs.map((h) => h.textContent));
  assert.match(headings[0], /^Run 1: Pool\.map on 2 workers: 2,000 items in 2,000 chunks of 1 link$/);
  assert.match(headings[1], /^Run 2: Pool\.map on 2 workers: 2,000 items in 125 chunks of 16 link$/);
  // Each run's last box ends where its last task ended, on the shared scale.
  const lastEnds = await page.$$eval('.pinned-run .compare-lanes', (ss) => ss.map((s) => Math.max(...[...s.querySelectorAll('.lane-box')].map((r) => Number(r.getAttribute('x')) + Number(r.getAttribute('width'))))));
  const drawn = (end) => end / 1000;
  const lastEnd = (t) => Math.max(...t.chunks.map((c) => c.end_ms));
  for (const [i, t] of [slow, fast].entries()) {
    assert.ok(Math.abs(drawn(lastEnds[i]) - lastEnd(t) / shared) < 0.005, `run ${i + 1}: ${drawn(lastEnds[i])} vs ${lastEnd(t) / shared}`);
  }
  // The difference named, and the ratio from the two traces.
  const diff = await page.textContent('.compare-diff');
  const ratio = fast.wall_ms / slow.wall_ms;
  const word = ratio < 1 ? `${(1 / ratio).toFixed(2)}× faster` : `${ratio.toFixed(2)}× slower`;
  assert.match(diff, /^vs run 1: chunksize 1 → 16; wall time /);
  assert.ok(diff.endsWith(word), `${diff} should end with ${word}`);
  assert.ok(Math.abs(Number(await page.getAttribute('.compare-diff', 'data-ratio')) - ratio) < 1e-9);
  await page.screenshot({ path: new URL('compare-1280.png', shots).pathname, fullPage: true });
  await page.locator('#compare').screenshot({ path: new URL('compare-view-1280.png', shots).pathname });

  // The ghost: run 1 outlined behind the current run (run 2) on their shared scale.
  await page.locator('.pinned-run[data-index="0"] .ghost-toggle').click();
  await page.waitForSelector('#ghost-view');
  assert.match(await page.textContent('#ghost-view h3'), /^This run over pinned run 1 \(outlined\): chunksize 1 → 16$/);
  const ghost = await page.$$eval('#ghost-view .compare-lanes', ([s]) => ({
    span: Number(s.dataset.spanMs), ghosts: s.querySelectorAll('.ghost .ghost-box').length, boxes: s.querySelectorAll('.current .lane-box').length,
    ghostFirst: s.querySelector('.ghost').compareDocumentPosition(s.querySelector('.current')) === Node.DOCUMENT_POSITION_FOLLOWING,
  }));
  assert.ok(Math.abs(ghost.span - shared) < 1e-6);
  assert.ok(ghost.ghosts > 0 && ghost.boxes > 0, JSON.stringify(ghost));
  assert.ok(ghost.ghostFirst, 'the ghost is drawn behind the current boxes');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#compare').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('compare-390.png', shots).pathname, fullPage: true });
  await page.locator('#compare').screenshot({ path: new URL('compare-view-390.png', shots).pathname });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the comparison fits a phone');
  // Unpinning a run removes it; its ghost goes with it.
  await page.locator('.pinned-run[data-index="0"] .unpin').click();
  await page.waitForFunction(() => document.querySelectorAll('.pinned-run').length === 1 && !document.querySelector('#ghost-view'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
