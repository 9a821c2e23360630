// End-to-end: what is drawn and written is true, and readable on any screen (issue 9, §6).
// Lists in the order the caller received them, defaults that show their lesson, threads
// blocked on requests overlapping, the call-queue chart on its own scale, one worker
// numbering, words and numbers, only runnable workloads offered, a phone's width, and the
// keyboard focus kept across a run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, peakInFlight, runInPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const shot = (page, name) => page.screenshot({ path: new URL(`${name}.png`, shots).pathname, fullPage: true });

/** The results a trace's caller received, in the order received: chunk by chunk in `delivered`. */
function received(trace) {
  return trace.delivered.flatMap((index) => {
    const chunk = trace.chunks[index];
    return trace.results.slice(chunk.first_item, chunk.first_item + chunk.len);
  });
}

/** A page at `query` (and `viewport`), its pool ready. */
async function ready(query = '', options = {}) {
  const page = await openPage(browser, `${site.url}${query}`, options);
  await waitForPool(page);
  return page;
}

/** Presses Run and waits until the run is shown and over. */
async function runByClick(page) {
  await page.click('#run');
  await page.waitForSelector('.run');
  await page.waitForFunction(() => !document.querySelector('.status'), null, { timeout: 120_000 });
}

test('imap_unordered lists results in completion order, as delivered; imap and map in input order', async () => {
  const page = await ready();
  const unordered = await runInPage(page, {
    strategy: 'Pool.imap_unordered', workers: 4, items: 12, workload: 'io', cost: 30000, shape: 'random', seed: 3,
  });
  const order = received(unordered);
  assert.notDeepEqual(unordered.delivered, [...unordered.delivered].sort((a, b) => a - b), 'completion order differs from input order here');
  assert.equal(await page.textContent('#results-preview'), `[${order.join(', ')}]`);
  assert.match(await page.textContent('.gather .results'), /in the order received \(completion order\)/);
  assert.match(await page.textContent('.gather .results'), /received in completion order/);
  await shot(page, 'truth-imap-unordered');
  for (const strategy of ['Pool.imap', 'Pool.apply_async', 'Pool.map']) {
    const trace = await runInPage(page, { strategy, workers: 4, items: 12, workload: 'io', cost: 30000, shape: 'random', seed: 3 });
    assert.deepEqual(received(trace), trace.results, `${strategy}: the caller gets input order`);
    assert.equal(await page.textContent('#results-preview'), `[${received(trace).join(', ')}]`, strategy);
    assert.match(await page.textContent('.gather .results'), /in the order received \(input order\)/);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the seed example and the default setup spread their chunks over the workers', async () => {
  const seed = await ready('?strategy=Pool.map&workers=5&items=14&chunksize=3');
  await runByClick(seed);
  const trace = await runInPage(seed, { strategy: 'Pool.map', workers: 5, items: 14, chunksize: 3 });
  const workers = new Set(trace.chunks.map((c) => c.worker));
  assert.ok(workers.size >= 4, `5 chunks ran on ${workers.size} of 5 workers: ${JSON.stringify(trace.chunks.map((c) => c.worker))}`);
  await shot(seed, 'truth-seed-1280');
  await seed.close();

  const page = await ready();
  await runByClick(page);
  const defaults = await runInPage(page, {});
  // Pool() takes os.cpu_count(): in a browser, navigator.hardwareConcurrency.
  const cpus = await page.evaluate(() => navigator.hardwareConcurrency);
  const poolSize = Math.min(cpus, 16);
  assert.equal(defaults.workers, poolSize, `Pool() on ${cpus} logical processors`);
  const chunksize = Math.ceil(100 / (poolSize * 4));
  assert.equal(defaults.chunksize, chunksize, `default rule: ceil(100 / (${poolSize} × 4))`);
  assert.match(await page.textContent('.field-workers'), new RegExp(`${poolSize} \\(default: os\\.cpu_count\\(\\)`));
  assert.match(await page.textContent('#python'), /with multiprocessing\.Pool\(\) as pool: {2}# os\.cpu_count\(\): /);
  const perWorker = [...Array(poolSize).keys()].map((w) => defaults.chunks.filter((c) => c.worker === w).length);
  assert.ok(perWorker.every((n) => n >= 2), `${defaults.chunks.length} chunks of ${chunksize} over ${poolSize} workers: ${perWorker}`);
  assert.ok(defaults.metrics.peak_parallelism === poolSize, `all ${poolSize} workers compute at once`);
  // The chunk size shows in the split: chunks of the default size and a last one of the rest.
  // (When each lane ends depends on how the OS shares the cores, so it is not asserted.)
  const sizes = [...defaults.chunks].sort((a, b) => a.index - b.index).map((c) => c.len);
  const full = Math.floor(100 / chunksize);
  const expected = [...Array(full).fill(chunksize), ...(100 % chunksize ? [100 % chunksize] : [])];
  assert.deepEqual(sizes, expected, `chunk sizes ${sizes}`);
  await shot(page, 'truth-default-1280');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('threads blocked on requests overlap: 4 threads beat sequential on the same 8 requests held 250 ms', async () => {
  const d = 250;
  const n = 8;
  const seen = [];
  const setup = (page) => page.route('**/data/**', async (route) => {
    seen.push(new URL(route.request().url()).searchParams.get('r'));
    await sleep(d);
    await route.continue();
  });
  const page = await openPage(browser, site.url, { setup });
  await waitForPool(page);
  for (const gil of [true, false]) {
    const threads = await runInPage(page, { strategy: 'ThreadPoolExecutor.map', workers: 4, items: n, workload: 'fetch', gil, cost: 0 });
    const sequential = await runInPage(page, { strategy: 'sequential', requests: n, latency_ms: 0 });
    assert.equal(peakInFlight(threads.chunks), 4, `gil=${gil}: four requests in flight at once`);
    assert.ok(threads.wall_ms < 2 * d * 1.6, `gil=${gil}: 4 threads took ${threads.wall_ms} ms for ${n} × ${d} ms`);
    assert.ok(sequential.wall_ms >= n * d, `sequential took ${sequential.wall_ms} ms`);
    assert.ok(threads.wall_ms < sequential.wall_ms / 2.5, `threads ${threads.wall_ms} ms vs sequential ${sequential.wall_ms} ms`);
    console.log(`gil=${gil}: 4 threads ${threads.wall_ms.toFixed(0)} ms, sequential ${sequential.wall_ms.toFixed(0)} ms (${n} × ${d} ms)`);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('unrouted, the same requests with the same added latency: 4 threads overlap, sequential adds up', async () => {
  // Served from this machine a request has no network wait, only CPU shared with the
  // threads: the latency (the fetch workload's cost, asyncio.gather's latency_ms) is the wait.
  const page = await ready();
  const n = 16;
  const threads = await runInPage(page, { strategy: 'ThreadPoolExecutor.map', workers: 4, items: n, workload: 'fetch', cost: 100000 });
  const sequential = await runInPage(page, { strategy: 'sequential', requests: n, latency_ms: 100 });
  assert.deepEqual(threads.results, sequential.results, 'the same requests');
  assert.ok(threads.notes.some((note) => /^Added latency: each request then waits 100,000 µs/.test(note)));
  console.log(`unrouted, ${n} shipped files, 100 ms latency: 4 threads ${threads.wall_ms.toFixed(1)} ms, sequential ${sequential.wall_ms.toFixed(1)} ms`);
  assert.ok(threads.wall_ms >= 4 * 100, `4 rounds of 100 ms: ${threads.wall_ms} ms`);
  assert.ok(threads.wall_ms < sequential.wall_ms / 2.5, `4 threads ${threads.wall_ms} ms, sequential ${sequential.wall_ms} ms`);
  assert.ok(threads.metrics.speedup > 2.5, `speed-up over 1 thread ${threads.metrics.speedup}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('ProcessPoolExecutor\'s call-queue chart is scaled to what it shows', async () => {
  const page = await ready();
  const trace = await runInPage(page, { strategy: 'ProcessPoolExecutor.map', workers: 3, items: 40, cost: 20000 });
  const maxQueued = Math.max(...trace.queue_depth.map((s) => s.queued));
  const maxPending = Math.max(...trace.queue_depth.map((s) => s.pending));
  assert.equal(maxQueued, 4, 'max_workers + 1');
  const canvas = page.locator('#queue-depth');
  assert.equal(Number(await canvas.getAttribute('data-max-queued')), maxQueued);
  assert.equal(Number(await canvas.getAttribute('data-max-pending')), maxPending);
  assert.match(await page.textContent('.queue-depth figcaption'), new RegExp(`blue, 0 to ${maxQueued}.*orange, 0 to ${maxPending}`));
  // The blue line uses the panel's height: its top row of pixels holds the call queue's line.
  const inked = await page.evaluate(() => {
    const c = document.querySelector('#queue-depth');
    const ctx = c.getContext('2d');
    const ratio = c.width / c.clientWidth;
    const row = ctx.getImageData(60 * ratio, 7 * ratio, c.width - 70 * ratio, 2 * ratio).data;
    let blue = 0;
    for (let i = 0; i < row.length; i += 4) if (row[i + 2] > 150 && row[i] < 100) blue += 1;
    return blue;
  });
  assert.ok(inked > 0, 'the call queue at its most is drawn at the top of its panel');
  const queue = await runInPage(page, { strategy: 'queue.Queue', workers: 2, items: 30, cost: 20000 });
  assert.equal(Number(await canvas.getAttribute('data-max-queued')), Math.max(...queue.queue_depth.map((s) => s.queued)));
  assert.equal(Number(await canvas.getAttribute('data-max-pending')), 0);
  await shot(page, 'truth-queue-depth');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('one worker numbering in the lanes\' tooltips, the table and the trace, rayon included', async () => {
  const page = await ready();
  for (const strategy of ['rayon.par_iter', 'queue.Queue']) {
    const trace = await runInPage(page, { strategy, workers: 3, items: 60, cost: 20000 });
    assert.match(await page.textContent('.run h2'), new RegExp(`^${strategy.replace('.', '\\.')} on 3 workers:`));
    const rows = await page.$$eval('.busy tbody tr td:first-child', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(rows, ['0', '1', '2'], 'the table numbers workers as the trace does');
    await page.locator('#lanes').scrollIntoViewIfNeeded();
    const lanes = await page.locator('#lanes').boundingBox();
    const span = Math.max(trace.wall_ms, ...trace.chunks.map((c) => c.end_ms));
    const chunk = trace.chunks.reduce((a, b) => (b.end_ms - b.start_ms > a.end_ms - a.start_ms ? b : a));
    const x = 118 + ((chunk.start_ms + chunk.end_ms) / 2 / span) * (lanes.width - 118 - 8);
    await page.mouse.move(lanes.x + x, lanes.y + chunk.worker * 30 + 12);
    assert.match(await page.textContent('#lanes-tooltip'), new RegExp(`· worker ${chunk.worker} \\(thread ${chunk.thread}\\) ·`), strategy);
    await page.mouse.move(0, 0);
  }
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('words and numbers: singular for one, grouped thousands, ms above a millisecond', async () => {
  const page = await ready('?strategy=Pool.map&workers=1&items=1&cost=1000');
  await runByClick(page);
  assert.match(await page.textContent('.run h2'), /^Pool\.map on 1 worker: 1 item in 1 chunk of 1$/);
  await runInPage(page, { strategy: 'ProcessPoolExecutor.map', workers: 1, items: 1200, chunksize: 1200, cost: 0 });
  const text = await page.innerText('main');
  assert.doesNotMatch(text, /\b1 (workers|items|chunks|batches|requests)\b/);
  assert.match(await page.textContent('.run h2'), /1,200 items in 1 chunk of 1,200/);
  assert.doesNotMatch(text, /\d{4,}(\.\d+)? ?(ms|µs)/, 'four digits and more are grouped');
  assert.doesNotMatch(text, /\d{4}(\.\d+)? µs/, 'above a millisecond, times are in ms');
  assert.match(await page.textContent('[data-figure="pickling"]'), /^[\d.,]+ (ms|µs) in all \([\d.,]+ (ms|µs) per task\)$/);
  // The program shown runs as pasted: it defines its task and guards its entry point.
  const code = await page.textContent('#python');
  assert.match(code, /def square\(x\):/);
  assert.match(code, /if __name__ == "__main__":/);
  assert.match(code, /print\(results\)/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the workload picker offers only what runs', async () => {
  const page = await ready();
  for (const strategy of ['Pool.map', 'Pool.imap_unordered', 'ProcessPoolExecutor.map', 'rayon.par_iter', 'static']) {
    await page.selectOption('#strategy', strategy);
    assert.deepEqual(await page.locator('#workload option').allTextContents(), ['cpu', 'io'], strategy);
  }
  await page.selectOption('#strategy', 'ThreadPoolExecutor.map');
  assert.deepEqual(await page.locator('#workload option').allTextContents(), ['cpu', 'io', 'fetch']);
  await page.fill('#items', '8');
  await page.selectOption('#workload', 'fetch');
  assert.equal(await page.locator('#run').isEnabled(), true);
  await page.selectOption('#strategy', 'Pool.map');
  assert.equal(await page.inputValue('#workload'), 'cpu', 'a workload the strategy cannot run is not kept');
  assert.equal(await page.locator('.field-error').count(), 0);
  assert.equal(await page.locator('#run').isEnabled(), true);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('at 390 px the page fits the phone\'s width with a run shown, every control reachable', async () => {
  const viewport = { width: 390, height: 844 };
  for (const query of [
    '?strategy=Pool.map&workers=5&items=14&chunksize=3',
    '?strategy=ProcessPoolExecutor.map&workers=3&items=20&cost=20000',
    '?strategy=queue.Queue&workers=4&items=8&workload=fetch',
    '?strategy=asyncio.gather&requests=6&latency_ms=50&limit=2',
    '?strategy=rayon.par_iter&workers=4&items=200&cost=20000',
  ]) {
    const page = await ready(query, { viewport });
    await runByClick(page);
    const { scrollWidth, controls } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      controls: [...document.querySelectorAll('.controls input, .controls select, .controls textarea, .controls button, #download-trace')]
        .map((e) => { const r = e.getBoundingClientRect(); return { id: e.id || e.name, left: r.left, right: r.right, width: r.width }; }),
    }));
    assert.ok(scrollWidth <= 390, `${query}: the page is ${scrollWidth} px wide`);
    for (const c of controls) {
      assert.ok(c.left >= 0 && c.right <= 390 && c.width >= 24, `${query}: ${c.id} at ${c.left}–${c.right}`);
    }
    await shot(page, `truth-390-${new URLSearchParams(query).get('strategy')}`);
    assert.deepEqual(page.problems, [], query);
    await page.close();
  }
});

test('the keyboard focus stays on Run across a run', async () => {
  const page = await ready('?strategy=Pool.map&workers=2&items=20&cost=20000');
  await page.focus('#run');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.run');
  await page.waitForFunction(() => !document.querySelector('.status'));
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run');
  // And again, with the keyboard only: the next Enter runs again.
  const before = await page.textContent('[data-figure="wall"]');
  await page.keyboard.press('Enter');
  await page.waitForFunction((old) => document.querySelector('[data-figure="wall"]')?.textContent !== old && !document.querySelector('.status'), before);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'run');
  assert.deepEqual(page.problems, []);
  await page.close();
});
