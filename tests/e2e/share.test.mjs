// Sharing and embedding: Copy link round-trips every setting; the Embed dialog's snippet,
// pasted into a tutorial page on another origin, loads the compact playground and runs,
// isolated or not; the page-to-page API (postMessage) runs, streams progress, returns the
// trace, answers bad messages with an error and refuses messages from other origins.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dist, openPage, playgroundFrame, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let playground;

before(async () => ({ browser, site: playground } = await startBrowserAndSite()));
after(() => stopBrowserAndSite(browser, playground));

/** A page on another origin ("localhost", not the playground's 127.0.0.1), serving `html`
 * at `/`, isolated (COOP/COEP) or not; `/example` serves the shipped example host page. */
async function hostPage(html, { isolated }) {
  const example = await readFile(join(dist, 'embed-host.html'));
  const server = createServer((req, res) => {
    const headers = { 'Content-Type': 'text/html; charset=utf-8' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    res.end(new URL(req.url, 'http://x').pathname === '/example' ? example : String(html));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${server.address().port}`;
  return { url: `${origin}/`, origin, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The page's settings as the controls show them, key by key. */
function controlValues(page) {
  return page.$$eval('.controls input[name], .controls select[name], .controls textarea[name]', (els) =>
    Object.fromEntries(els.map((el) => [el.name, el.type === 'checkbox' ? el.checked : el.value])));
}

async function openDialog(page) {
  await page.click('#open-embed');
  await page.waitForSelector('#embed-dialog[open]');
}

test('Copy link round-trips every setting of every kind', async () => {
  const setups = [
    'strategy=Pool.map&workers=3&chunksize=4&items=22&workload=io&cost=1234&shape=random&seed=77&raise_at=3,8&raise_cost=slow',
    'strategy=ThreadPoolExecutor.map&workers=2&items=9&workload=cpu&cost=5000&shape=straggler&seed=3&gil=false',
    'strategy=asyncio.gather&requests=3&latency_ms=15&limit=2&timeout_ms=9000&return_exceptions=true&urls=%2Fdata%2F1kb.txt%20%2Fdata%2F16kb.txt%20%2Fdata%2F64kb.txt',
  ];
  const seen = new Set();
  for (const setup of setups) {
    const page = await openPage(browser, `${playground.url}?${setup}`);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(playground.url).origin });
    await waitForPool(page);
    const shown = await controlValues(page);
    for (const [key, value] of new URLSearchParams(setup)) {
      if (key === 'strategy') continue;
      seen.add(key);
      const expected = key === 'urls' ? value.split(' ').join('\n') : value;
      const got = typeof shown[key] === 'boolean' ? String(shown[key]) : shown[key];
      assert.equal(got.replace(/\s+/g, ' '), expected.replace(/\s+/g, ' '), `${key} from ${setup}`);
    }
    await page.click('#copy-link');
    await page.waitForSelector('.copy-outcome[data-for="copy-link"]:has-text("Copied")');
    const link = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, await page.evaluate(() => location.href));
    const copy = await openPage(browser, link);
    await waitForPool(copy);
    assert.deepEqual(await controlValues(copy), shown, `the link ${link} shows the same settings`);
    assert.equal(await copy.textContent('#python'), await page.textContent('#python'));
    assert.equal(await copy.evaluate(() => location.search), await page.evaluate(() => location.search));
    assert.deepEqual([...page.problems, ...copy.problems], []);
    await copy.close();
    await page.close();
  }
  const every = ['workers', 'chunksize', 'items', 'workload', 'cost', 'shape', 'seed', 'raise_at', 'raise_cost',
    'gil', 'requests', 'latency_ms', 'limit', 'timeout_ms', 'return_exceptions', 'urls'];
  assert.deepEqual([...seen].sort(), every.sort(), 'every setting was round-tripped');
});

test('the Embed dialog is a focused modal that Escape closes, at 1280 and 390 px', async () => {
  for (const width of [1280, 390]) {
    const page = await openPage(browser, `${playground.url}?strategy=Pool.map&workers=3&items=14&chunksize=3`,
      { viewport: { width, height: 900 } });
    await waitForPool(page);
    await openDialog(page);
    assert.equal(await page.evaluate(() => document.getElementById('embed-dialog').contains(document.activeElement)), true,
      'the focus is in the dialog');
    const text = await page.textContent('#embed-dialog');
    assert.match(await page.textContent('.runs-anywhere'), /Pool\.map.*ProcessPoolExecutor\.map.*asyncio\.gather.*sequential/);
    assert.match(await page.textContent('.needs-threads'), /ThreadPoolExecutor\.map.*rayon/);
    assert.match(text, /This setup \(Pool\.map\) runs on any page/);
    const snippet = await page.inputValue('#embed-snippet');
    assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?strategy=Pool\.map&amp;workers=3&amp;.*&amp;embed=1"/);
    assert.match(snippet, /title="Parallel playground: Pool\.map"/);
    assert.match(snippet, /allow="cross-origin-isolated"/);
    assert.match(snippet, /height="\d{3,4}"/);
    await page.check('input[name="embed-control"][value="workers"]');
    assert.match(await page.inputValue('#embed-snippet'), /&amp;embed=1&amp;controls=workers"/);
    const box = await page.$eval('#embed-dialog', (d) => d.getBoundingClientRect().toJSON());
    assert.ok(box.x >= 0 && box.right <= width, `the dialog fits ${width} px: ${JSON.stringify(box)}`);
    await page.screenshot({ path: `${shots.pathname}share-embed-dialog-${width}.png` });
    await page.keyboard.press('Escape');
    await page.waitForSelector('#embed-dialog:not([open])', { state: 'attached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'open-embed', 'the focus is back on Embed');
    assert.deepEqual(page.problems, []);
    await page.close();
  }
});

/** The snippet the dialog writes for `setup`, with `controls` ticked. */
async function snippetFor(setup, controls) {
  const page = await openPage(browser, `${playground.url}?${setup}`);
  await waitForPool(page);
  await openDialog(page);
  for (const control of controls) await page.check(`input[name="embed-control"][value="${control}"]`);
  const snippet = await page.inputValue('#embed-snippet');
  await page.close();
  return snippet;
}

test('the snippet pasted in an isolated page on another origin loads the embed and runs', async () => {
  const snippet = await snippetFor('strategy=Pool.map&workers=3&items=14&chunksize=3&cost=20000', ['workers']);
  const host = await hostPage(`<!DOCTYPE html><title>tutorial</title><style>body{margin:0;padding:0 15px}</style>
<h1>Pool.map</h1>${snippet}`, { isolated: true });
  try {
    for (const width of [1280, 390]) {
      const page = await openPage(browser, host.url, { viewport: { width, height: 1000 } });
      const frame = await playgroundFrame(page, 'iframe');
      assert.equal(await frame.evaluate(() => self.crossOriginIsolated), true);
      assert.equal(await frame.$$eval('.controls .field', (fields) => fields.map((f) => f.querySelector('[name]').name).join()), 'workers',
        'only the exposed control');
      assert.equal(await frame.$('#python'), null);
      const full = await frame.getAttribute('.open-in-full', 'href');
      assert.equal(await frame.getAttribute('.open-in-full', 'target'), '_blank');
      assert.ok(!full.includes('embed='), full);
      assert.match(full, /strategy=Pool\.map&workers=3&/);
      await frame.fill('#workers', '2');
      await frame.click('#run');
      await frame.waitForSelector('.run h2', { timeout: 60_000 });
      assert.match(await frame.textContent('.run h2'), /2 workers|2 processes/);
      assert.match(await frame.evaluate(() => location.search), /workers=2&.*&embed=1&controls=workers$/, 'the embed stays an embed');
      const frameWidth = await page.$eval('iframe', (f) => f.getBoundingClientRect().width);
      assert.equal(await frame.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true,
        `nothing scrolls sideways in a ${frameWidth} px frame`);
      await page.screenshot({ path: `${shots.pathname}share-embed-isolated-${width}.png`, fullPage: true });
      assert.deepEqual(page.problems, []);
      await page.close();
    }
  } finally {
    await host.close();
  }
});

test('the snippet in a page that is not isolated: a process strategy runs, a thread strategy offers a new tab', async () => {
  const processes = await snippetFor('strategy=Pool.map&workers=2&items=8&chunksize=2&cost=20000', []);
  const threads = await snippetFor('strategy=ThreadPoolExecutor.map&workers=2&items=8', ['workers']);
  for (const [snippet, kind] of [[processes, 'processes'], [threads, 'threads']]) {
    const host = await hostPage(`<!DOCTYPE html><title>tutorial</title><style>body{margin:0;padding:0 15px}</style>${snippet}`,
      { isolated: false });
    try {
      const page = await openPage(browser, host.url, { viewport: { width: 390, height: 1000 } });
      const frame = await playgroundFrame(page, 'iframe');
      assert.equal(await frame.evaluate(() => self.crossOriginIsolated), false);
      if (kind === 'processes') {
        assert.equal(await frame.$$eval('.controls .field', (f) => f.length), 0, 'no control: Run only');
        await frame.click('#run');
        await frame.waitForSelector('.run h2', { timeout: 60_000 });
        assert.equal(await frame.getAttribute('.run', 'data-strategy'), 'Pool.map');
      } else {
        const offer = await frame.waitForSelector('.threads-elsewhere[data-framed="true"] .open-in-new-tab');
        assert.equal(await offer.getAttribute('target'), '_blank');
        assert.match(await offer.getAttribute('href'), /strategy=ThreadPoolExecutor\.map&workers=2/);
        assert.equal(await frame.getAttribute('#run', 'aria-disabled'), 'true');
      }
      await page.screenshot({ path: `${shots.pathname}share-embed-not-isolated-${kind}-390.png`, fullPage: true });
      assert.deepEqual(page.problems, []);
      await page.close();
    } finally {
      await host.close();
    }
  }
});

test('bad embed parameters get clear messages, never a panic', async () => {
  const page = await openPage(browser,
    `${playground.url}?strategy=Pool.map&embed=1&controls=workers,bogus,requests&host=example.org`);
  await waitForPool(page);
  const problems = await page.$$eval('.embed-problem', (ps) => ps.map((p) => p.textContent));
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems.join('\n'), /'bogus' is not a control/);
  assert.match(problems.join('\n'), /host='example\.org' is not an origin/);
  assert.match(problems.join('\n'), /Pool\.map has no setting 'requests'/);
  assert.equal(await page.$$eval('.controls .field', (f) => f.map((x) => x.querySelector('[name]').name).join()), 'workers');
  const odd = await openPage(browser, `${playground.url}?embed=yes`);
  await waitForPool(odd);
  assert.match(await odd.textContent('.embed-problem'), /embed='yes' is not understood/);
  assert.deepEqual([...page.problems, ...odd.problems], []);
  await odd.close();
  await page.close();
});

/** A host page whose script records every message from its frame and sends with `send`. */
function apiHost(src) {
  return `<!DOCTYPE html><title>host</title><script>
window.received = [];
addEventListener('message', (e) => {
  if (e.source === document.querySelector('iframe').contentWindow) window.received.push({ origin: e.origin, data: e.data });
});
window.send = (m) => document.querySelector('iframe').contentWindow.postMessage(m, new URL(${JSON.stringify(src)}).origin);
</script><iframe src="${src}" allow="cross-origin-isolated" width="900" height="700" title="playground"></iframe>`;
}

/** The replies to request `id` once its final reply came: [progress..., final]. */
async function replies(page, id, timeout = 60_000) {
  await page.waitForFunction((id) => window.received.some((r) => r.data?.id === id && r.data.type !== 'progress'), id, { timeout });
  return page.evaluate((id) => window.received.filter((r) => r.data?.id === id).map((r) => r.data), id);
}

test('postMessage: a host page runs, follows progress, gets the trace, stops; bad messages get errors', async () => {
  // The host's origin is only known once it listens: serve the page from a function of it.
  let html = '';
  const host = await hostPage({ toString: () => html }, { isolated: true });
  html = apiHost(`${playground.url}?embed=1&host=${encodeURIComponent(host.origin)}`);
  try {
    const page = await openPage(browser, host.url);
    await page.waitForFunction(() => window.received.some((r) => r.data?.type === 'loaded'), null, { timeout: 30_000 });
    const loaded = await page.evaluate(() => window.received.find((r) => r.data.type === 'loaded'));
    assert.equal(loaded.origin, new URL(playground.url).origin);
    assert.equal(loaded.data.source, 'parallel-playground');

    await page.evaluate(() => window.send({ type: 'ready', id: 'ready-1' }));
    const [ready] = await replies(page, 'ready-1');
    assert.equal(ready.type, 'result');
    assert.ok(ready.value.threads >= 1);

    await page.evaluate(() => window.send({ type: 'set-config', id: 2, config: { strategy: 'Pool.map', workers: 3, items: 9 } }));
    const [set] = await replies(page, 2);
    assert.equal(set.type, 'result');
    assert.match(set.value, /strategy=Pool\.map&workers=3&/);
    const frame = await (await page.$('iframe')).contentFrame();
    await frame.waitForFunction(() => /workers=3&.*items=9/.test(location.search));

    const config = { strategy: 'Pool.map', workers: 2, items: 24, chunksize: 1, cost: 1_000_000 };
    await page.evaluate((config) => window.send({ type: 'run', id: 'run-1', config, options: { baseline: false } }), config);
    const run = await replies(page, 'run-1');
    const final = run.at(-1);
    assert.equal(final.type, 'result', JSON.stringify(final).slice(0, 300));
    assert.equal(run.filter((r) => r.type !== 'progress').length, 1, 'one final reply');
    const progress = run.slice(0, -1);
    assert.ok(progress.length >= 2, `progress streamed: ${JSON.stringify(progress)}`);
    assert.ok(progress.every((p) => p.type === 'progress' && p.items === 24 && p.items_done <= 24));
    assert.ok(progress.some((p) => p.items_done > 0), JSON.stringify(progress));
    assert.deepEqual(progress.map((p) => p.items_done), progress.map((p) => p.items_done).sort((a, b) => a - b));
    assert.equal(final.value.chunks.length, 24);
    assert.equal(final.value.chunks.reduce((sum, c) => sum + c.len, 0), 24);
    assert.equal(final.value.workers, 2);
    assert.ok(final.value.metrics.wall_ms > 0);
    assert.equal(await frame.getAttribute('.run', 'data-strategy'), 'Pool.map', 'the run is shown in the embed');
    await page.evaluate(() => window.send({ type: 'export', id: 'chrome-1', format: 'chrome' }));
    const [chrome] = await replies(page, 'chrome-1');
    assert.equal(chrome.type, 'result');
    const events = JSON.parse(chrome.value).traceEvents.filter((e) => e.ph === 'X');
    assert.ok(events.length >= 24, `a complete event per task: ${events.length}`);
    await page.evaluate(() => window.send({ type: 'export', id: 'svg-1', format: 'svg' }));
    assert.match((await replies(page, 'svg-1'))[0].value, /^<svg[\s\S]*<\/svg>\s*$/);

    // Stop: the run's one final reply is its trace so far, marked stopped.
    await page.evaluate((config) => window.send({ type: 'run', id: 'run-2', config: { ...config, items: 400 }, options: { baseline: false } }), config);
    await page.waitForFunction(() => window.received.some((r) => r.data?.id === 'run-2' && r.data.items_done > 0), null, { timeout: 30_000 });
    await page.evaluate(() => window.send({ type: 'cancel', id: 'stop-1' }));
    const [stop] = await replies(page, 'stop-1');
    assert.deepEqual([stop.type, stop.value], ['result', true]);
    const stopped = (await replies(page, 'run-2')).at(-1);
    assert.equal(stopped.type, 'result');
    assert.equal(stopped.value.stopped, true);

    // Bad messages: each gets one error reply, and the page goes on.
    const bad = [
      ['just text', null, /must be an object/],
      [[1, 2], null, /must be an object/],
      [{ type: 'run' }, null, /needs an 'id'/],
      [{ type: 'run', id: { nested: 1 } }, null, /needs an 'id'/],
      [{ type: 'launch', id: 'b1' }, 'b1', /unknown message type 'launch'/],
      [{ id: 'b2' }, 'b2', /needs a string 'type'/],
      [{ type: 'run', id: 'b3', config: { workers: 'many' } }, 'b3', /workers/],
      [{ type: 'run', id: 'b4', config: [1] }, 'b4', /Array/],
      [{ type: 'set-config', id: 'b5', config: { strategy: 'Pool.mapp' } }, 'b5', /Pool\.mapp/],
      [{ type: 'export', id: 'b6', format: 'pdf' }, 'b6', /pdf/],
      [{ type: 'export', id: 'b7' }, 'b7', /needs a string 'format'/],
    ];
    for (const [message, id, pattern] of bad) {
      const before = await page.evaluate(() => window.received.length);
      await page.evaluate((m) => window.send(m), message);
      await page.waitForFunction((n) => window.received.length > n, before);
      await page.waitForTimeout(100);
      const answers = await page.evaluate((n) => window.received.slice(n).map((r) => r.data), before);
      assert.equal(answers.length, 1, JSON.stringify(answers));
      assert.equal(answers[0].type, 'error');
      assert.equal(answers[0].id, id);
      assert.match(answers[0].message, pattern);
    }
    await page.evaluate(() => window.send({ type: 'ready', id: 'after' }));
    assert.equal((await replies(page, 'after'))[0].type, 'result', 'still answering');
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await host.close();
  }
});

test('postMessage: a page on an origin the embed does not name is refused and never acted on', async () => {
  let html = '';
  const named = await hostPage('<!DOCTYPE html><title>named</title>', { isolated: true });
  const other = await hostPage({ toString: () => html }, { isolated: true });
  html = apiHost(`${playground.url}?embed=1&host=${encodeURIComponent(named.origin)}`);
  try {
    const page = await openPage(browser, other.url);
    const frame = await playgroundFrame(page, 'iframe');
    await frame.waitForFunction(() => window.playground?.run);
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await page.evaluate(() => window.send({ type: 'run', id: 'x', config: { strategy: 'Pool.map', items: 4 } }));
    await page.evaluate(() => window.send({ type: 'set-config', id: 'y', config: { workers: 1 } }));
    await page.waitForTimeout(2_000);
    assert.deepEqual(await page.evaluate(() => window.received.map((r) => r.data)), [], 'no reply, not even "loaded"');
    assert.equal(await frame.$('.run'), null, 'nothing ran');
    assert.doesNotMatch(await frame.evaluate(() => location.search), /workers=1/, 'the config was not set');
    assert.equal(warnings.filter((w) => w.includes('refused a message from')).length, 2, warnings.join('\n'));
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await other.close();
    await named.close();
  }
});

test('the example host page under www/ drives the embed from another origin', async () => {
  const host = await hostPage('', { isolated: true });
  try {
    const page = await openPage(browser, `${host.origin}/example?playground=${encodeURIComponent(playground.url)}`);
    await page.waitForSelector('#run:not([disabled])', { timeout: 30_000 });
    await page.fill('#workers', '4');
    await page.click('#run');
    await page.waitForFunction(() => /^Done: 5 chunks on 4 workers/.test(document.getElementById('log').textContent), null, { timeout: 60_000 });
    assert.equal(await page.$eval('#progress', (p) => p.max), 14, 'the progress counted the run\'s items');
    assert.deepEqual(page.problems, []);
    await page.close();
  } finally {
    await host.close();
  }
});
