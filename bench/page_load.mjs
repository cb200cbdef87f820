// The dashboard's load time on the demo data (issue 14: "loads in under a
// second"), in headless Debian chromium driven by puppeteer-core, against a
// real analytics-server seeded with the demo data.
//
// A load is timed from navigation start to the page's own "every panel drawn"
// mark (<body data-ready-ms>, performance.now() when the first view's data
// are rendered: KPI cards, every chart, the VIP list and the heat map).
//   cold: a fresh browser context each time (empty cache, new connections);
//   warm: the same tab reloaded (cache and connections kept).
// For each, the median and the spread of N loads, and for the last cold load
// where the time went: each request (start, duration, bytes on the wire) and
// the main thread's script time (CDP Performance.ScriptDuration).
//
// Usage: node bench/page_load.mjs SERVER NODE_MODULES LOADS OUT.md
// (bench/page_load.sh supplies them; see `make bench-page`).
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const [serverBinary, nodeModules, loadsArg, outFile] = process.argv.slice(2);
const loads = Number(loadsArg || 15);
const require = createRequire(path.join(nodeModules, 'noop.js'));
const puppeteer = require('puppeteer-core');

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(serverBinary, ['--listen', '127.0.0.1:0', '--db', ':memory:', '--metrics-listen', '',
      '--http-listen', '127.0.0.1:0', '--seed-demo-if-empty', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = [];
    readline.createInterface({ input: child.stderr }).on('line', (l) => log.push(l));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/(http:\/\/[^/\s]+)\//);
      if (m) resolve({ base: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${log.join('\n')}`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => ms.toFixed(0);

// One load of `page`: ms to the page's ready mark, and its requests.
async function timeLoad(page, url, reload) {
  const cdp = await page.createCDPSession();
  await cdp.send('Performance.enable');
  const before = (await cdp.send('Performance.getMetrics')).metrics;
  if (reload) await page.reload({ waitUntil: 'domcontentloaded' });
  else await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state) &&
    (document.body.dataset.readyMs || document.body.dataset.state === 'error'), { timeout: 60000, polling: 20 });
  const state = await page.evaluate(() => [document.body.dataset.state, document.getElementById('message')?.textContent]);
  if (state[0] !== 'ready') throw new Error(`the page failed to load: ${state[1]}`);
  const after = (await cdp.send('Performance.getMetrics')).metrics;
  const metric = (list, name) => (list.find((m) => m.name === name) || { value: 0 }).value;
  const scriptMs = (metric(after, 'ScriptDuration') - (reload ? metric(before, 'ScriptDuration') : 0)) * 1000;
  const result = await page.evaluate(() => ({
    ready: Number(document.body.dataset.readyMs),
    dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    scriptsRun: Number(document.body.dataset.startMs || 0),
    requests: performance.getEntriesByType('resource').map((r) => ({
      name: r.name.replace(location.origin, ''), start: r.startTime, duration: r.duration,
      request: r.requestStart, response: r.responseStart,
      wire: r.transferSize, body: r.decodedBodySize,
    })),
  }));
  await cdp.detach();
  return { ...result, scriptMs };
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const loadBefore = os.loadavg();
let server;
const cold = [];
const warm = [];
try {
  server = await startServer();
  const url = server.base + '/';
  // One load first so the server's first-call work (engine warm-up) is not
  // counted as the page's.
  {
    const context = await browser.createBrowserContext();
    await timeLoad(await context.newPage(), url, false);
    await context.close();
  }
  for (let i = 0; i < loads; ++i) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    cold.push(await timeLoad(page, url, false));
    await context.close();
  }
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await timeLoad(page, url, false);
  for (let i = 0; i < loads; ++i) warm.push(await timeLoad(page, url, true));
  await context.close();
} finally {
  await browser.close();
  if (server) server.child.kill('SIGTERM');
}
const loadAfter = os.loadavg();

const summary = (runs) => {
  const ready = runs.map((r) => r.ready);
  return `${fmt(median(ready))} ms (min ${fmt(Math.min(...ready))}, max ${fmt(Math.max(...ready))}); ` +
    `DOMContentLoaded ${fmt(median(runs.map((r) => r.dcl)))} ms; ` +
    `main-thread script ${fmt(median(runs.map((r) => r.scriptMs)))} ms`;
};
const last = cold[cold.length - 1];
const wire = (runs) => runs[runs.length - 1].requests.reduce((n, r) => n + r.wire, 0);
const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim(); } catch { return '?'; } };
const lines = [
  `# Dashboard page load on the demo data (${new Date().toISOString()})`,
  '',
  `- machine: ${os.hostname()}, ${os.cpus().length} × ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
  `${sh('uname', ['-sr'])}; ${sh('/usr/bin/chromium', ['--version'])}`,
  `- commit: ${sh('git', ['-C', path.dirname(new URL(import.meta.url).pathname), 'rev-parse', '--short', 'HEAD'])}`,
  `- load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}, ` +
  `after: ${loadAfter.map((x) => x.toFixed(2)).join(' / ')}`,
  `- ${loads} loads each; navigation start to every panel drawn (the page's data-ready-ms mark)`,
  '',
  '| load | ready: median (min, max) | under 1 s? |',
  '| --- | --- | --- |',
  `| cold (fresh browser context) | ${summary(cold)}; ${wire(cold)} bytes on the wire | ${median(cold.map((r) => r.ready)) < 1000 ? 'yes' : 'NO'} |`,
  `| warm (reload, cache kept) | ${summary(warm)}; ${wire(warm)} bytes on the wire | ${median(warm.map((r) => r.ready)) < 1000 ? 'yes' : 'NO'} |`,
  '',
  'Requests of the last cold load (ms from navigation start):',
  '',
  '| request | start | sent | first byte | end | bytes on the wire | body bytes |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...last.requests.map((r) => `| \`${r.name}\` | ${fmt(r.start)} | ${fmt(r.request)} | ${fmt(r.response)} | ` +
    `${fmt(r.start + r.duration)} | ${r.wire} | ${r.body} |`),
  '',
];
const text = lines.join('\n');
writeFileSync(outFile, text);
console.log(text);
