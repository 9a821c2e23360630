// End-to-end: the exports of a run (Chrome Trace Event JSON, CSV, SVG, PNG), through
// `playground.export(trace, format)` and the download buttons; the Trace Event JSON is also
// loaded by Chrome DevTools' own trace engine (@paulirish/trace_engine, from npm).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { analyzeEvents } from '@paulirish/trace_engine/analyze-trace.mjs';
import { openPage, shots, startBrowserAndSite, stopBrowserAndSite, waitForPool } from './harness.mjs';

let browser;
let site;
before(async () => ({ browser, site } = await startBrowserAndSite({ isolated: true })));
after(() => stopBrowserAndSite(browser, site));

/** Checks a Trace Event JSON file against the format (the JSON object form): a
 * `traceEvents` array and a `displayTimeUnit` of ms or ns; every event a string `name` and
 * `ph`, integer `pid` and `tid`, and what its phase requires: X a number `ts` and `dur` ≥ 0,
 * i a number `ts` and a scope `s` (g, p or t), M a metadata name with its `args`, C a number
 * `ts` and numeric `args`. Returns the events. */
function validated(file) {
  assert.ok(['ms', 'ns'].includes(file.displayTimeUnit), `displayTimeUnit ${file.displayTimeUnit}`);
  assert.ok(Array.isArray(file.traceEvents), 'traceEvents is an array');
  const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);
  for (const [at, e] of file.traceEvents.entries()) {
    const where = `event ${at}: ${JSON.stringify(e)}`;
    assert.equal(typeof e.name, 'string', where);
    assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid), where);
    switch (e.ph) {
      case 'X':
        assert.ok(isNumber(e.ts) && isNumber(e.dur) && e.dur >= 0, where);
        break;
      case 'i':
        assert.ok(isNumber(e.ts) && ['g', 'p', 't'].includes(e.s), where);
        break;
      case 'M':
        if (e.name === 'process_name' || e.name === 'thread_name') assert.equal(typeof e.args?.name, 'string', where);
        else if (e.name === 'thread_sort_index') assert.ok(Number.isInteger(e.args?.sort_index), where);
        else assert.fail(`unknown metadata ${where}`);
        break;
      case 'C':
        assert.ok(isNumber(e.ts) && Object.values(e.args ?? {}).length > 0 && Object.values(e.args).every(isNumber), where);
        break;
      default:
        assert.fail(`unknown phase ${where}`);
    }
  }
  // The complete events of each thread nest, as a viewer draws them (to 1e-6 µs: ts + dur
  // is a floating-point sum).
  const spans = file.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.tid, e.ts, e.ts + e.dur]);
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1] || b[2] - a[2]);
  const open = [];
  for (const [tid, start, end] of spans) {
    while (open.length && (open.at(-1)[0] !== tid || open.at(-1)[1] <= start + 1e-6)) open.pop();
    if (open.length) assert.ok(end <= open.at(-1)[1] + 1e-6, `thread ${tid}: ${start}..${end} crosses the end of the event it starts in`);
    open.push([tid, end]);
  }
  return file.traceEvents;
}

/** The rows of a CSV text whose fields hold no quotes (those of these runs). */
function csvRows(text) {
  assert.ok(text.endsWith('\r\n'), 'rows end with CRLF');
  return text.slice(0, -2).split('\r\n').map((line) => line.split(','));
}

/** Runs `config` and returns its trace's tasks with the three exports, and what
 * `playground.export` says to a bad trace or format. */
async function runAndExport(page, config) {
  return page.evaluate(async (c) => {
    const trace = await window.playground.run(c, { baseline: false });
    const thrown = (f) => {
      try {
        f();
        return 'nothing thrown';
      } catch (error) {
        return `${error.constructor.name}: ${error.message}`;
      }
    };
    const svg = window.playground.export(trace, 'svg');
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return {
      chunks: trace.chunks,
      workers: trace.workers,
      gil_slices: trace.gil_slices.length,
      chrome: window.playground.export(trace, 'chrome'),
      csv: window.playground.export(trace, 'csv'),
      svg,
      svgParsed: {
        errors: doc.getElementsByTagName('parsererror').length,
        root: doc.documentElement.tagName,
        boxes: [...doc.querySelectorAll('rect.box')].map((r) => Number(r.dataset.chunk ?? r.getAttribute('data-chunk'))),
        declared: Number(doc.documentElement.getAttribute('data-boxes')),
        title: doc.querySelector('title')?.textContent,
      },
      refused: {
        format: thrown(() => window.playground.export(trace, 'pdf')),
        notString: thrown(() => window.playground.export(trace, 7)),
        copy: thrown(() => window.playground.export({ ...trace }, 'csv')),
        nothing: thrown(() => window.playground.export(undefined, 'csv')),
      },
    };
  }, config);
}

/** Checks the Trace Event JSON of a run against its tasks; returns the events. */
function checkChrome(text, run, strategy) {
  const events = validated(JSON.parse(text));
  const tasks = events.filter((e) => e.ph === 'X' && e.cat === 'task');
  assert.equal(tasks.length, run.chunks.length, 'a complete event per task');
  for (const chunk of run.chunks) {
    const event = tasks.find((e) => e.args.index === chunk.index);
    assert.ok(event, `task ${chunk.index} has its event`);
    assert.equal(event.tid, chunk.worker + 1, 'on its worker\'s thread');
    assert.ok(Math.abs(event.ts - chunk.start_ms * 1000) < 0.001, 'ts in µs');
    // On a process's thread a task ends where the process began its next chunk, read from
    // its pipe while this one's results crossed back.
    const next = run.chunks.find((c) => c.worker === chunk.worker && c.index > chunk.index);
    const end = chunk.pipe_ms !== undefined && next ? Math.min(chunk.end_ms, Math.max(next.start_ms, chunk.start_ms)) : chunk.end_ms;
    assert.ok(Math.abs(event.dur - (end - chunk.start_ms) * 1000) < 0.002, 'dur in µs');
    assert.equal(event.args.items, chunk.len);
    assert.equal(event.args.first_item, chunk.first_item);
  }
  const onProcesses = run.chunks.filter((c) => c.compute_ms !== undefined).length;
  assert.equal(events.filter((e) => e.cat === 'phase').length, 3 * onProcesses, 'send, compute, return per task on a process');
  const process = events.find((e) => e.ph === 'M' && e.name === 'process_name');
  assert.ok(process.args.name.startsWith(strategy), process.args.name);
  const threads = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args.name);
  for (let w = 0; w < run.workers; w += 1) {
    assert.ok(threads.some((name) => name.startsWith(`worker ${w} · `)), `worker ${w} is named: ${threads}`);
  }
  assert.ok(threads.includes('result handler') && threads.includes('caller'), threads.join(', '));
  return events;
}

/** Loads the Trace Event JSON in Chrome DevTools' trace engine and checks that it saw each
 * worker's thread with exactly that worker's tasks. */
async function checkInTraceEngine(text, run) {
  const events = JSON.parse(text).traceEvents;
  const { parsedTrace } = await analyzeEvents(events);
  const process = parsedTrace.data.Renderer.processes.get(1);
  assert.ok(process, 'the trace engine found the run\'s process');
  for (let w = 0; w < run.workers; w += 1) {
    const thread = process.threads.get(w + 1);
    if (!run.chunks.some((c) => c.worker === w)) continue;
    assert.match(thread?.name ?? '', new RegExp(`^worker ${w} · (thread \\d+|process)$`));
    // Its tasks, and on processes their phases and the process's start-up.
    const expected = events.filter((e) => e.ph === 'X' && e.tid === w + 1).length;
    assert.ok(expected >= run.chunks.filter((c) => c.worker === w).length);
    assert.equal(thread.entries.length, expected, `worker ${w}: the trace engine's entries`);
  }
  const bounds = parsedTrace.data.Meta.traceBounds;
  const lastEnd = Math.max(...run.chunks.map((c) => c.end_ms)) * 1000;
  assert.ok(bounds.max >= lastEnd - 1, `trace bounds ${JSON.stringify(bounds)} reach the last task (${lastEnd} µs)`);
  return process.threads.size;
}

function checkCsv(text, run) {
  const rows = csvRows(text);
  assert.equal(rows.length, run.chunks.length + 1, 'a header and a row per task');
  const header = rows[0];
  assert.deepEqual(header.slice(0, 7), ['index', 'first_item', 'len', 'worker', 'thread', 'start_ms', 'end_ms']);
  const col = (name) => header.indexOf(name);
  for (const chunk of run.chunks) {
    const row = rows.find((r, i) => i > 0 && Number(r[0]) === chunk.index);
    assert.equal(Number(row[col('worker')]), chunk.worker);
    assert.equal(Number(row[col('start_ms')]), chunk.start_ms);
    assert.equal(Number(row[col('end_ms')]), chunk.end_ms);
    assert.equal(row.length, header.length);
  }
}

function checkSvg(run) {
  const parsed = run.svgParsed;
  assert.equal(parsed.errors, 0, 'the SVG parses');
  assert.equal(parsed.root, 'svg');
  assert.equal(parsed.boxes.length, parsed.declared, 'a rect per drawn box');
  // These runs' tasks are wide enough that each is its own box.
  assert.deepEqual([...parsed.boxes].sort((a, b) => a - b), run.chunks.map((c) => c.index).sort((a, b) => a - b));
}

function checkRefusals(refused) {
  assert.match(refused.format, /^Error: .*'pdf'.*"chrome", "csv", "svg"/);
  assert.match(refused.notString, /^Error: the export format must be a string, not a number/);
  assert.match(refused.copy, /^Error: playground\.export needs a trace that playground\.run resolved with/);
  assert.match(refused.nothing, /not an undefined/);
}

let page;
const poolMap = { strategy: 'Pool.map', workers: 3, items: 36, chunksize: 4, cost: 20000 };

test('playground.export writes a Pool.map run as Trace Event JSON, CSV and SVG', async () => {
  page = await openPage(browser, site.url, { viewport: { width: 1280, height: 900 } });
  await waitForPool(page);
  await page.waitForFunction(() => window.playground?.export);
  const run = await runAndExport(page, poolMap);
  assert.equal(run.chunks.length, 9);
  assert.ok(run.chunks.every((c) => c.compute_ms > 0), 'Pool.map ran on processes');
  checkChrome(run.chrome, run, 'Pool.map');
  const threads = await checkInTraceEngine(run.chrome, run);
  console.log(`trace engine: ${threads} threads, ${run.chunks.length} tasks`);
  checkCsv(run.csv, run);
  checkSvg(run);
  assert.match(run.svgParsed.title, /^Pool\.map/);
  checkRefusals(run.refused);
  assert.deepEqual(page.problems, []);
});

test('a thread run with the GIL exports its GIL holds and loads in the trace engine', async () => {
  const run = await runAndExport(page, { strategy: 'queue.Queue', workers: 2, items: 12, cost: 40000, gil: true });
  assert.ok(run.gil_slices > 0, 'the GIL was recorded');
  const events = checkChrome(run.chrome, run, 'queue.Queue');
  const gil = events.filter((e) => e.cat === 'gil' && e.name === 'holds the GIL');
  assert.equal(gil.length, run.gil_slices, 'a complete event per hold of the GIL');
  await checkInTraceEngine(run.chrome, run);
  checkCsv(run.csv, run);
  checkSvg(run);
  const picture = await page.context().newPage();
  await picture.setViewportSize({ width: 1280, height: 200 });
  await picture.setContent(run.svg);
  await picture.screenshot({ path: new URL('exports-svg-gil.png', shots).pathname });
  await picture.close();
  assert.deepEqual(page.problems, []);
});

/** Clicks a download button and returns the file's name and bytes. */
async function download(id) {
  const [saved] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
  return { name: saved.suggestedFilename(), bytes: await readFile(await saved.path()) };
}

test('each download button saves its export of the run shown', async () => {
  const run = await runAndExport(page, poolMap);
  await page.waitForSelector('#download-chrome');
  const chrome = await download('download-chrome');
  assert.equal(chrome.name, 'trace.chrome.json');
  checkChrome(chrome.bytes.toString('utf8'), run, 'Pool.map');
  const csv = await download('download-csv');
  assert.equal(csv.name, 'trace.csv');
  checkCsv(csv.bytes.toString('utf8'), run);
  const svg = await download('download-svg');
  assert.equal(svg.name, 'lanes.svg');
  const svgText = svg.bytes.toString('utf8');
  assert.ok(svgText.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal(svgText.match(/class="box"/g).length, run.chunks.length);
  const parsedSvg = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return { errors: doc.getElementsByTagName('parsererror').length, root: doc.documentElement.tagName, boxes: doc.querySelectorAll('rect.box').length };
  }, svgText);
  assert.deepEqual(parsedSvg, { errors: 0, root: 'svg', boxes: run.chunks.length }, 'the downloaded SVG parses');
  const png = await download('download-png');
  assert.equal(png.name, 'lanes.png');
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  const width = png.bytes.readUInt32BE(16);
  const height = png.bytes.readUInt32BE(20);
  assert.equal(width, 2400, 'the SVG drawn at twice its 1200 px');
  assert.ok(height > 200, `${height} px high`);
  const decoded = await page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    return [bitmap.width, bitmap.height];
  }, png.bytes.toString('base64'));
  assert.deepEqual(decoded, [width, height], 'the downloaded PNG decodes');
  const json = await download('download-trace');
  const saved = JSON.parse(json.bytes.toString('utf8'));
  assert.deepEqual(saved.chunks.map((c) => [c.index, c.worker, c.start_ms, c.end_ms]), run.chunks.map((c) => [c.index, c.worker, c.start_ms, c.end_ms]));

  await page.locator('#downloads').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('exports-buttons-1280.png', shots).pathname });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator('#downloads').scrollIntoViewIfNeeded();
  await page.screenshot({ path: new URL('exports-buttons-390.png', shots).pathname });
  const picture = await page.context().newPage();
  await picture.setViewportSize({ width: 1280, height: 400 });
  await picture.setContent(svgText);
  await picture.screenshot({ path: new URL('exports-svg-1280.png', shots).pathname });
  await picture.setViewportSize({ width: 390, height: 400 });
  await picture.setContent(`<img src="data:image/svg+xml;base64,${svg.bytes.toString('base64')}" style="width:100%">`);
  await picture.screenshot({ path: new URL('exports-svg-390.png', shots).pathname });
  await picture.close();
  assert.deepEqual(page.problems, []);
  await page.close();
});
