// The dashboard in a real browser: Debian's chromium, headless, driven by
// puppeteer-core, against real analytics-server processes on ephemeral
// ports. Every panel renders with no console error; the numbers shown (DOM
// and the charts' data) equal the API's for the same filter; a filter change
// updates every panel and the URL; a shared URL restores the view; the
// Superstore upload shows its totals; a reader token cannot load demo data.
// Screenshots go to ARTIFACT_DIR. No sleeps: every wait is for a state the
// page publishes (<body data-state="ready" data-view="...">).
//
// Usage: node dashboard_test.mjs SERVER_BINARY SUPERSTORE_CSV ARTIFACT_DIR NODE_MODULES_DIR
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import assert from 'node:assert/strict';

const [serverBinary, superstoreCsv, artifactDir, nodeModules] = process.argv.slice(2);
const require = createRequire(path.join(nodeModules, 'noop.js'));
const puppeteer = require('puppeteer-core');
mkdirSync(artifactDir, { recursive: true });

const READER = 'reader-token-0123456789';
const WRITER = 'writer-token-0123456789';
let failures = 0;
let passes = 0;

// A server with its HTTP listener; resolves once it prints its addresses.
function startServer(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(serverBinary, ['--listen', '127.0.0.1:0', '--db', ':memory:', '--metrics-listen', '',
      '--http-listen', '127.0.0.1:0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = [];
    readline.createInterface({ input: child.stderr }).on('line', (l) => log.push(l));
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = line.match(/(http:\/\/[^/\s]+)\//);
      if (m) resolve({ base: m[1], child, log, stop: () => stop(child) });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${log.join('\n')}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function api(base, route, params = [], token) {
  const url = new URL(route, base);
  for (const [k, v] of params) url.searchParams.append(k, v);
  const response = await fetch(url, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

function filterParams(view) {
  const p = [];
  if (view.from) p.push(['filter.start_date', view.from]);
  if (view.to) p.push(['filter.end_date', view.to]);
  for (const r of view.regions || []) p.push(['filter.regions', r]);
  for (const c of view.categories || []) p.push(['filter.categories', c]);
  for (const s of view.segments || []) p.push(['filter.segments', s]);
  return p;
}

const n = (v) => (v === undefined ? 0 : Number(v));

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    passes += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error.stack || error}`);
  }
}

// Waits until the page has drawn the view `query` (the URL's query string).
async function waitReady(page, query) {
  await page.waitForFunction((q) => document.body.dataset.state === 'ready' &&
    (q === null || document.body.dataset.view === q), { timeout: 30000 }, query);
}

// What the page shows, read from the DOM and the charts' data.
async function shown(page) {
  return page.evaluate(() => {
    // The plot's own data (uPlot keeps the arrays it draws) and its labels.
    const chartData = (id) => window.dashboardChart(id);
    const groups = (id) => [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) => ({
      group: tr.dataset.group, customers: Number(tr.cells[1].dataset.value), share: Number(tr.cells[2].dataset.value),
    }));
    return {
      kpis: Object.fromEntries([...document.querySelectorAll('[data-kpi]')].map((card) =>
        [card.dataset.kpi, { value: Number(card.querySelector('.value').dataset.value), text: card.querySelector('.value').textContent,
          change: card.querySelector('.change').dataset.change }])),
      region: chartData('chart-region'),
      category: chartData('chart-category'),
      trend: chartData('chart-trend'),
      tiers: groups('rfm-tiers'),
      segments: groups('rfm-segments'),
      heat: [...document.querySelectorAll('#rfm-heat td[data-value]')].reduce((a, td) => a + Number(td.dataset.value), 0),
      vip: [...document.querySelectorAll('#vip tbody tr')].map((tr) => tr.dataset.customer),
      vipTotal: Number(document.getElementById('vip').dataset.total),
      url: location.search,
    };
  });
}

// Every panel against the API for the same view.
async function assertMatchesApi(page, base, view, token) {
  const s = await shown(page);
  const f = filterParams(view);
  const kpis = await api(base, '/v1/kpis', f, token);
  for (const key of ['revenue', 'profit', 'margin', 'orders', 'customers', 'averageOrderValue']) {
    assert.equal(s.kpis[key].value, n(kpis.current[key]), `KPI ${key}`);
  }
  const revenueChange = kpis.change.revenuePct;
  assert.equal(s.kpis.revenue.change, revenueChange === undefined ? '' : String(revenueChange), 'revenue change');
  const regions = await api(base, '/v1/breakdown', f.concat([['dimension', 'DIMENSION_REGION'], ['order_by', 'MEASURE_PROFIT']]), token);
  assert.deepEqual(s.region.labels, regions.rows.map((r) => r.label));
  assert.deepEqual(s.region.series[0], regions.rows.map((r) => n(r.measures.profit)));
  const categories = await api(base, '/v1/breakdown', f.concat([['dimension', 'DIMENSION_CATEGORY'], ['order_by', 'MEASURE_REVENUE']]), token);
  assert.deepEqual(s.category.labels, categories.rows.map((r) => r.label));
  assert.deepEqual(s.category.series[0], categories.rows.map((r) => n(r.measures.revenue)));
  const trend = await api(base, '/v1/salesTrend', f.concat([['granularity', view.granularity || 'GRANULARITY_MONTH']]), token);
  assert.deepEqual(s.trend.labels, trend.buckets.map((b) => b.label));
  assert.deepEqual(s.trend.series[0], trend.buckets.map((b) => n(b.revenue)));
  assert.deepEqual(s.trend.series[1], trend.buckets.map((b) => n(b.profit)));
  const rfm = await api(base, '/v1/rfmSummary', f, token);
  assert.deepEqual(s.tiers, rfm.tiers.map((g) => ({ group: g.tier, customers: n(g.customers), share: n(g.revenueShare) })));
  assert.deepEqual(s.segments, rfm.segments.map((g) => ({ group: g.rfmSegment, customers: n(g.customers), share: n(g.revenueShare) })));
  assert.equal(s.heat, n(rfm.customers), 'heat map cells add up to the scored customers');
  const vip = await api(base, '/v1/customers', f.concat([['tier', 'TIER_GOLD'], ['order_by', view.sort || 'monetary desc'], ['page_size', '10']]), token);
  assert.deepEqual(s.vip, (vip.customers || []).map((c) => c.customerId));
  assert.equal(s.vipTotal, n(vip.totalSize));
  return s;
}

function watchConsole(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const servers = [];
try {
  const demo = await startServer(['--seed-demo-if-empty']);
  servers.push(demo);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors = [];
  watchConsole(page, errors);

  await test('every panel renders the demo data, no console error, numbers equal the API', async () => {
    await page.goto(demo.base + '/');
    await waitReady(page, '');
    const s = await assertMatchesApi(page, demo.base, {});
    assert.equal(Object.keys(s.kpis).length, 6);
    assert.ok(s.kpis.revenue.value > 0 && s.region.labels.length === 4 && s.category.labels.length >= 3);
    assert.ok(s.trend.labels.length >= 12 && s.vip.length > 0 && s.heat > 0);
    const loadMs = await page.evaluate(() => Number(document.body.dataset.readyMs));
    console.log(`     first view ready ${loadMs.toFixed(0)} ms after navigation`);
    // A loose bound: on a quiet machine this is a few hundred ms, the figure is printed above.
    assert.ok(loadMs < 15000, `the page took ${loadMs} ms`);
    await page.screenshot({ path: path.join(artifactDir, 'dashboard.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  await test('a region filter updates every panel and the URL', async () => {
    const before = await shown(page);
    await page.click('#filter-regions input[value="West"]');
    await waitReady(page, 'region=West');
    const s = await assertMatchesApi(page, demo.base, { regions: ['West'] });
    assert.equal(s.url, '?region=West');
    assert.ok(s.kpis.revenue.value < before.kpis.revenue.value, 'revenue narrowed');
    assert.deepEqual(s.region.labels, ['West']);
    assert.notDeepEqual(s.trend.series[0], before.trend.series[0]);
    assert.notEqual(s.heat, before.heat);
  });

  await test('dates, categories, segments, granularity and sort live in the URL', async () => {
    await page.click('#filter-categories input[value="Technology"]');
    await waitReady(page, 'region=West&category=Technology');
    const end = await api(demo.base, '/v1/kpis');
    const to = end.periodEndDate;
    const from = `${Number(to.slice(0, 4)) - 1}${to.slice(4)}`;
    await page.$eval('#filter-from', (el, v) => { el.value = v; el.dispatchEvent(new Event('change', { bubbles: true })); }, from);
    await waitReady(page, `from=${from}&region=West&category=Technology`);
    await page.select('#trend-granularity', 'GRANULARITY_QUARTER');
    await waitReady(page, `from=${from}&region=West&category=Technology&granularity=GRANULARITY_QUARTER`);
    await page.click('#vip th[data-sort="frequency"] button');
    const query = `from=${from}&region=West&category=Technology&granularity=GRANULARITY_QUARTER&sort=frequency+desc`;
    await waitReady(page, query);
    const view = { from, regions: ['West'], categories: ['Technology'], granularity: 'GRANULARITY_QUARTER', sort: 'frequency desc' };
    await assertMatchesApi(page, demo.base, view);
    // The same URL in a new tab shows the same view.
    const shared = await browser.newPage();
    const sharedErrors = [];
    watchConsole(shared, sharedErrors);
    await shared.goto(`${demo.base}/?${query}`);
    await waitReady(shared, query);
    await assertMatchesApi(shared, demo.base, view);
    assert.equal(await shared.$eval('#filter-from', (el) => el.value), from);
    assert.equal(await shared.$eval('#filter-regions input[value="West"]', (el) => el.checked), true);
    assert.deepEqual(sharedErrors, []);
    await shared.close();
    // Back to everything.
    await page.click('#filter-reset');
    await waitReady(page, 'granularity=GRANULARITY_QUARTER&sort=frequency+desc');
  });

  await test('VIP pages, drill-down and keyboard', async () => {
    const first = (await shown(page)).vip;
    const total = Number(await page.$eval('#vip', (el) => el.dataset.total));
    if (total > 10) {
      await page.click('#vip-next');
      await page.waitForFunction((id) => document.querySelector('#vip tbody tr')?.dataset.customer !== id &&
        document.body.dataset.state === 'ready', {}, first[0]);
      const second = (await shown(page)).vip;
      assert.equal(second.filter((id) => first.includes(id)).length, 0, 'page 2 repeats page 1');
      await page.click('#vip-prev');
      await page.waitForFunction((id) => document.querySelector('#vip tbody tr')?.dataset.customer === id, {}, first[0]);
    }
    // Keyboard: focus the first VIP row and press Enter.
    await page.focus('#vip tbody tr');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.getElementById('customer-detail').dataset.state === 'ready' &&
      document.getElementById('customer-detail').dataset.customer === id, {}, first[0]);
    const detail = await api(demo.base, '/v1/customers/' + encodeURIComponent(first[0]));
    const text = await page.$eval('#customer-detail', (el) => el.textContent);
    assert.ok(text.includes(detail.customer.customerName), 'the customer name is shown');
    // The CSV download holds every Gold customer of the view, not just the page.
    await page.click('#vip-csv');
    await page.waitForFunction((n) => document.getElementById('vip').dataset.csvRows === String(n), {}, total);
    assert.deepEqual(errors, []);
  });

  await test('phone-sized screen', async () => {
    const phone = await browser.newPage();
    const phoneErrors = [];
    watchConsole(phone, phoneErrors);
    await phone.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 });
    await phone.goto(demo.base + '/');
    await waitReady(phone, '');
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide on a 390 px screen`);
    await phone.screenshot({ path: path.join(artifactDir, 'dashboard-phone.png'), fullPage: true });
    assert.deepEqual(phoneErrors, []);
    await phone.close();
  });

  await test('uploading the Superstore file shows its totals', async () => {
    const empty = await startServer([]);
    servers.push(empty);
    const p = await browser.newPage();
    await p.setViewport({ width: 1280, height: 900 });
    const uploadErrors = [];
    watchConsole(p, uploadErrors);
    await p.goto(empty.base + '/');
    await waitReady(p, '');
    const input = await p.$('#upload-file');
    await input.uploadFile(superstoreCsv);
    await p.waitForFunction(() => document.getElementById('upload-panel').dataset.state === 'done', { timeout: 60000 });
    assert.equal(await p.$eval('#upload-panel', (el) => el.dataset.accepted), '305');
    assert.equal(await p.$eval('#upload-progress', (el) => el.value), 100);
    await p.waitForFunction(() => document.body.dataset.state === 'ready' &&
      Number(document.querySelector('[data-kpi="revenue"] .value')?.dataset.value) > 0);
    const s = await assertMatchesApi(p, empty.base, {});
    // The fixture's own figures (tests/fixtures/superstore_figures.inc).
    assert.equal(Math.round(s.kpis.revenue.value * 1e6), 78078987200);
    assert.equal(Math.round(s.kpis.profit.value * 1e6), -445056800);
    assert.equal(s.kpis.orders.value, 142);
    assert.equal(s.kpis.customers.value, 132);
    assert.equal(s.kpis.revenue.text, '$78,079');
    assert.deepEqual([...s.region.labels].sort(), ['Central', 'East', 'South', 'West']);
    await p.screenshot({ path: path.join(artifactDir, 'dashboard-superstore.png'), fullPage: true });
    assert.deepEqual(uploadErrors, []);
    await p.close();
  });

  await test('a reader token cannot load demo data; a writer can', async () => {
    const secured = await startServer([], { ANALYTICS_AUTH_TOKENS: `reader ${READER},writer ${WRITER}` });
    servers.push(secured);
    const p = await browser.newPage();
    await p.goto(secured.base + '/');
    // No token: the API answers 401 and the page asks for one.
    await p.waitForSelector('#token-dialog[open]');
    await p.type('#token-input', READER);
    await p.click('#token-form button[type="submit"]');
    await waitReady(p, '');
    await assertMatchesApi(p, secured.base, {}, READER);
    await p.click('#demo-button');
    await p.waitForFunction(() => document.body.dataset.lastWrite === 'demo-error-403');
    assert.match(await p.$eval('#message', (el) => el.textContent), /Not allowed/);
    assert.equal((await api(secured.base, '/v1/kpis', [], READER)).current.orders, '0');
    await p.screenshot({ path: path.join(artifactDir, 'dashboard-reader-refused.png') });
    await p.click('#token-button');
    await p.waitForSelector('#token-dialog[open]');
    await p.$eval('#token-input', (el) => { el.value = ''; });
    await p.type('#token-input', WRITER);
    await p.click('#token-form button[type="submit"]');
    await waitReady(p, '');
    await p.click('#demo-button');
    await p.waitForFunction(() => document.body.dataset.lastWrite === 'demo-ok');
    await waitReady(p, '');
    assert.ok(Number((await api(secured.base, '/v1/kpis', [], READER)).current.orders) > 0);
    await assertMatchesApi(p, secured.base, {}, READER);
    await p.close();
  });
} finally {
  await browser.close();
  for (const s of servers) await s.stop();
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
