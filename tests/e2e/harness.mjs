// Shared by the browser tests and the benchmark: serve the built playground (dist/) on
// loopback, with or without the cross-origin isolation headers, and drive Debian's Chromium
// through playwright-core. Every page error or console error fails the test that caused it.
import { createServer } from 'node:http';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const dist = process.env.PLAYGROUND_DIST ?? fileURLToPath(new URL('../../dist/', import.meta.url));

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

/** Serves dist/ on 127.0.0.1 (a free port), under `prefix` (a static host's sub-path);
 * `isolated` adds COOP/COEP (and CORP) as Trunk.toml does. A host without the headers serves
 * the page's coi-serviceworker (which isolates a top-level page) only when `coi` is set;
 * otherwise an empty script in its place, to test what a page that is not isolated does. */
export async function serve({ isolated = true, prefix = '/', coi = false } = {}) {
  const server = createServer(async (req, res) => {
    const requested = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const path = normalize(`/${requested.startsWith(prefix) ? requested.slice(prefix.length) : '\0'}`);
    const file = join(dist, path.endsWith('/') ? `${path}index.html` : path);
    try {
      if (!file.startsWith(dist) || !(await stat(file)).isFile()) throw new Error('not found');
      const headers = { 'Content-Type': types[extname(file)] ?? 'application/octet-stream'};
      if (isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
        headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
      }
      res.writeHead(200, headers);
      const withoutWorker = !isolated && !coi && file.endsWith('/coi-serviceworker.js');
      res.end(withoutWorker ? '// this host ships no coi-serviceworker\n' : await readFile(file));
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Debian's Chromium, headless, with the flags this machine needs. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * A new page that records page errors and console errors in `page.problems`. `setup(page)`
 * runs before the page loads: routes set then also reach the requests of its Web Workers.
 */
export async function openPage(browser, url, { viewport = { width: 1200, height: 900 }, setup } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await setup?.(page);
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  return page;
}

/** Waits until the pool banner says the workers are ready (or the page says it cannot run). */
export async function waitForPool(page) {
  await page.waitForSelector('.pool-ready, .pool-unavailable', { timeout: 30_000 });
}

/** Runs `config` through `window.playground.run` and returns the trace. */
export async function runInPage(page, config) {
  await page.waitForFunction(() => window.playground?.run, null, { timeout: 30_000 });
  return page.evaluate((c) => window.playground.run(c), config);
}

/** Most tasks (or requests) running at one moment, from a trace's spans: the test's own
 * count, independent of the page's metrics. */
export function peakInFlight(chunks) {
  const events = chunks.flatMap((c) => [[c.start_ms, 1], [c.end_ms, -1]]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peak = 0;
  for (const [, delta] of events) {
    running += delta;
    peak = Math.max(peak, running);
  }
  return peak;
}

/** The playground in `page`'s iframe `selector` (a tutorial's embed), once its pool has said
 * whether it is ready. */
export async function playgroundFrame(page, selector) {
  await page.waitForSelector(selector);
  const frame = await (await page.$(selector)).contentFrame();
  await frame.waitForSelector('.pool-ready, .pool-unavailable', { timeout: 30_000 });
  return frame;
}

/** Where the browser tests write their screenshots (ignored by git). */
export const shots = new URL('./screenshots/', import.meta.url);

/** What most test files start with: Chromium, and dist/ served (`isolated` as in `serve`). */
export async function startBrowserAndSite({ isolated = true } = {}) {
  await mkdir(shots, { recursive: true });
  return { browser: await launch(), site: await serve({ isolated }) };
}

/** Closes what `startBrowserAndSite` opened (either may be missing if it failed). */
export async function stopBrowserAndSite(browser, site) {
  await browser?.close();
  await site?.close();
}
