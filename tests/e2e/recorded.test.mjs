// An author's recording: a run's trace, shipped as a file beside the page (`recorded=…`) or in
// the link itself (`trace=…`, written by "Share this run"), is shown first, labelled as
// recorded with its machine's processor count; the reader then runs the same setup live and
// the two are pinned side by side. A bad recording gets a message, and the page still works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
/** A trace the page recorded, as `playground.run` resolved with it (its own JSON). */
let recording;
/** The page it was recorded on. */
let author;

before(async () => ({ browser, site } = await startBrowserAndSite()));
after(() => stopBrowserAndSite(browser, site));

const setup = { strategy: 'Pool.map', workers: 2, items: 24, chunksize: 3, cost: 20000 };

/** A page whose `path` (under the site) answers with `body` (text) as JSON, or 404 if none. */
function routed(files) {
  return async (page) => {
    for (const [path, body] of Object.entries(files)) {
      await page.route(`**/${path}`, (route) => (body === null
        ? route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' })
        : route.fulfill({ status: 200, contentType: 'application/json', body })));
    }
  };
}

/** The wall time a page's figures show for the run it draws, ms (`1,035.3 ms`). */
async function wallShown(page) {
  const text = await page.textContent('[data-figure="wall"]');
  assert.match(text, /^[\d,]+\.\d ms$/);
  return Number(text.replace(/,/g, '').replace(' ms', ''));
}

/** Checks that `page` draws the run whose wall time is `wall_ms` (as its figures round it). */
async function showsWall(page, wallMs) {
  const shown = await wallShown(page);
  assert.ok(Math.abs(shown - wallMs) <= 0.05 + 1e-9, `${shown} ms shown for ${wallMs} ms`);
}

test('a run records its machine\'s processor count, date and browser', async () => {
  author = await openPage(browser, site.url, { viewport: { width: 1280, height: 900 } });
  await waitForPool(author);
  await author.waitForFunction(() => window.playground?.run);
  recording = await author.evaluate((c) => window.playground.run(c, { baseline: false }), setup);
  const processors = await author.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(recording.cpu_count, processors);
  assert.match(recording.recorded_on.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(recording.recorded_on.date) - Date.now()) < 120_000, recording.recorded_on.date);
  assert.match(recording.recorded_on.browser, /^Chrome \d+$/);
  assert.deepEqual(author.problems, []);
});

test('a recording in a file beside the page is shown first, labelled, then compared with a live run', async () => {
  // The file says it ran on 24 logical processors (this machine has fewer): the label reads
  // the file, not the machine.
  const file = JSON.stringify({ ...recording, cpu_count: 24 }, null, 2);
  const page = await openPage(browser, `${site.url}?recorded=runs/recorded-run.json`, {
    viewport: { width: 1280, height: 900 },
    setup: routed({ 'runs/recorded-run.json': file }),
  });
  await page.waitForSelector('#recorded');
  assert.equal(await page.getAttribute('#recorded', 'data-cpu-count'), '24');
  const label = await page.textContent('#recorded .recorded-label');
  assert.match(label, /^RECORDED This run was recorded on a machine with 24 logical processors, on \d{4}-\d\d-\d\d \d\d:\d\d UTC, in Chrome \d+, not run on this page/);
  // The run shown is the recording: its strategy, its wall time, its tasks.
  assert.equal(await page.getAttribute('#recorded', 'data-showing'), 'true');
  assert.equal(await page.getAttribute('#recorded-tag', 'data-cpu-count'), '24', 'the drawing is labelled too');
  assert.equal(await page.getAttribute('.run', 'data-strategy'), 'Pool.map');
  await showsWall(page, recording.wall_ms);
  // The controls hold its settings, and the address keeps the recording.
  assert.equal(await page.inputValue('#strategy'), 'Pool.map');
  assert.equal(await page.inputValue('#items'), '24');
  assert.equal(await page.inputValue('#chunksize'), '3');
  assert.match(page.url(), /[?&]recorded=runs\/recorded-run\.json/);
  await page.screenshot({ path: new URL('recorded-file-1280.png', shots).pathname });
  await page.locator('#recorded-tag').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('recorded-file-run-1280.png', shots).pathname });

  await waitForPool(page);
  await page.click('#run-live');
  await page.waitForFunction(() => document.querySelectorAll('.pinned-run').length === 2, null, { timeout: 60_000 });
  const processors = await page.evaluate(() => navigator.hardwareConcurrency);
  const runs = await page.$$eval('.pinned-run', (rs) => rs.map((r) => ({
    wall: Number(r.dataset.wallMs),
    recorded: r.querySelector('.recorded-badge')?.textContent ?? null,
    live: r.querySelector('.live-badge')?.textContent ?? null,
  })));
  assert.deepEqual(runs[0], { wall: recording.wall_ms, recorded: 'RECORDED on 24 logical processors', live: null });
  assert.equal(runs[1].live, `live on this machine, ${processors} logical processor${processors === 1 ? '' : 's'}`);
  assert.notEqual(runs[1].wall, recording.wall_ms, 'the live run is a run of its own');
  assert.match(await page.textContent('.compare-diff'), /^vs run 1: the same settings; wall time /);
  const headings = await page.$$eval('.pinned-run h3', (hs) => hs.map((h) => h.textContent));
  assert.match(headings[0], /^RECORDED on 24 logical processors Run 1: Pool\.map on 2 workers: 24 items in 8 chunks of 3 link$/);
  assert.match(headings[1], /^live on this machine, \d+ logical processors? Run 2: Pool\.map on 2 workers/);
  assert.equal(await page.getAttribute('#recorded', 'data-showing'), 'false', 'the live run is shown now');
  assert.equal(await page.locator('#recorded-tag').count(), 0, 'the live run is not labelled as recorded');
  assert.match(await page.textContent('.recorded-compared'), /the recording and your live run, pinned/);
  await page.locator('#compare').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('recorded-compared-1280.png', shots).pathname });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: new URL('recorded-top-390.png', shots).pathname });
  await page.locator('#compare').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('recorded-compared-390.png', shots).pathname });
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('"Share this run" writes a link that carries the run; opened, it shows that run as recorded', async () => {
  await author.click('#share-run');
  const link = await author.inputValue('#share-link');
  assert.ok(link.startsWith(`${site.url}?strategy=Pool.map&`), link);
  assert.match(link, /&trace=[A-Za-z0-9_-]+$/);
  assert.ok(link.length <= 8000, `${link.length} characters`);
  await author.locator('#share').scrollIntoViewIfNeeded();
  await author.screenshot({ path: new URL('recorded-share-1280.png', shots).pathname });

  const page = await openPage(browser, link, { viewport: { width: 390, height: 844 } });
  await page.waitForSelector('#recorded');
  assert.equal(Number(await page.getAttribute('#recorded', 'data-cpu-count')), recording.cpu_count);
  await showsWall(page, recording.wall_ms);
  assert.match(page.url(), /&trace=[A-Za-z0-9_-]+$/, 'the address keeps the recording');
  await page.screenshot({ path: new URL('recorded-link-390.png', shots).pathname });
  // The recording shown is the very trace: the page's own trace of it, written back.
  await waitForPool(page);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a run too large for a link is offered as a file, which loads back as a recording', async () => {
  const big = await author.evaluate(() => window.playground.run({ strategy: 'Pool.map', workers: 2, items: 3000, chunksize: 1, cost: 100 }, { baseline: false }));
  await author.click('#share-run');
  await author.waitForSelector('#share-too-long');
  assert.match(await author.textContent('#share-too-long'), /too large for a link \([\d,]+ characters; a link holds at most 8,000\)/);
  const [saved] = await Promise.all([author.waitForEvent('download'), author.click('#share-download')]);
  assert.equal(saved.suggestedFilename(), 'recorded-run.json');
  const text = (await readFile(await saved.path())).toString('utf8');
  assert.equal(JSON.parse(text).chunks.length, big.chunks.length);
  await author.locator('#share').scrollIntoViewIfNeeded();
  await author.screenshot({ path: new URL('recorded-too-long-1280.png', shots).pathname });

  const page = await openPage(browser, `${site.url}?recorded=recorded-run.json`, { setup: routed({ 'recorded-run.json': text }) });
  await page.waitForSelector('#recorded');
  await showsWall(page, big.wall_ms);
  assert.deepEqual(page.problems, []);
  await page.close();
  await author.close();
});

test('a bad recording gets a message, and the page still runs', async () => {
  const edited = JSON.stringify({ ...recording, chunks: recording.chunks.map((c, i) => (i === 1 ? { ...c, worker: 9 } : c)) });
  const cases = [
    ['?trace=this-is-not-a-recording', /the link's recording cannot be read/],
    ['?recorded=missing.json', /'missing\.json' could not be fetched \(HTTP 404\)/],
    ['?recorded=cut.json', /the recording is cut off/],
    ['?recorded=chrome.json', /this is not a trace of the playground: it is a Chrome Trace Event file/],
    ['?recorded=edited.json', /the recording is not a valid trace: task 1 ran on worker 9 of 2/],
    ['?recorded=https://example.com/run.json', /is on another origin \(https:\/\/example\.com\)/],
  ];
  const files = {
    'missing.json': null,
    'cut.json': JSON.stringify(recording).slice(0, 500),
    'chrome.json': '{"traceEvents": [], "displayTimeUnit": "ms"}',
    'edited.json': edited,
  };
  for (const [query, expected] of cases) {
    const page = await openPage(browser, `${site.url}${query}`, { viewport: { width: 390, height: 844 }, setup: routed(files) });
    await page.waitForSelector('#recorded-error');
    const message = await page.textContent('#recorded-error');
    assert.match(message, /^The recorded run cannot be shown: /);
    assert.match(message, expected, query);
    assert.equal(await page.locator('#recorded').count(), 0);
    if (query.includes('edited')) {
      await page.screenshot({ path: new URL('recorded-bad-390.png', shots).pathname });
    }
    // The page itself still works: the pool starts, and a run runs.
    await waitForPool(page);
    const trace = await page.evaluate(() => window.playground.run({ strategy: 'Pool.map', workers: 2, items: 4, cost: 10 }, { baseline: false }));
    assert.equal(trace.chunks.length, 4);
    assert.deepEqual(page.problems.filter((p) => p.startsWith('page error')), [], query);
    await page.close();
  }
});
