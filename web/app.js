// The customer-analytics dashboard: every panel is drawn from the HTTP/JSON
// API of the server that serves this page (/v1/..., see /v1/openapi.json).
// The filters live in the URL, so a view can be shared. When every panel
// has drawn the current view, <body data-state="ready" data-view="QUERY">
// says so (the browser tests wait for it).
'use strict';

const TOKEN_KEY = 'customer-analytics-token';
const TIER_NAMES = { TIER_GOLD: 'Gold', TIER_SILVER: 'Silver', TIER_BRONZE: 'Bronze' };
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
const count = new Intl.NumberFormat('en-US');
const pct = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// The page runs this script before the chart library (index.html), so that
// its API calls go out while the browser is still compiling uPlot; replies
// wait for DOMContentLoaded, which follows the library's execution, before
// anything draws. (Not document.readyState: it is already "interactive"
// while deferred scripts run.)
const chartsReady = new Promise((resolve) => {
  if (typeof uPlot !== 'undefined' || document.readyState === 'complete') return resolve();
  document.addEventListener('DOMContentLoaded', resolve, { once: true });
  window.addEventListener('load', resolve, { once: true });
});

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token()) h.Authorization = 'Bearer ' + token();
  return h;
}

async function api(path, params, init) {
  const url = new URL(path, location.origin);
  for (const [k, v] of params || []) url.searchParams.append(k, v);
  const response = await fetch(url, Object.assign({}, init, { headers: headers(init && init.headers) }));
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  await chartsReady;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const num = (v) => (v === undefined || v === null ? 0 : Number(v));

// --- View state: the filters, kept in the URL -------------------------------
function readView() {
  const q = new URLSearchParams(location.search);
  return {
    from: q.get('from') || '',
    to: q.get('to') || '',
    regions: q.getAll('region'),
    categories: q.getAll('category'),
    segments: q.getAll('segment'),
    granularity: q.get('granularity') || 'GRANULARITY_MONTH',
    vipSort: q.get('sort') || 'monetary desc',
    vipSize: q.get('rows') || '10',
  };
}

function viewQuery(view) {
  const q = new URLSearchParams();
  if (view.from) q.set('from', view.from);
  if (view.to) q.set('to', view.to);
  view.regions.forEach((v) => q.append('region', v));
  view.categories.forEach((v) => q.append('category', v));
  view.segments.forEach((v) => q.append('segment', v));
  if (view.granularity !== 'GRANULARITY_MONTH') q.set('granularity', view.granularity);
  if (view.vipSort !== 'monetary desc') q.set('sort', view.vipSort);
  if (view.vipSize !== '10') q.set('rows', view.vipSize);
  return q.toString();
}

// The API's filter parameters (Filter message fields) for a view.
function filterParams(view) {
  const p = [];
  if (view.from) p.push(['filter.start_date', view.from]);
  if (view.to) p.push(['filter.end_date', view.to]);
  view.regions.forEach((v) => p.push(['filter.regions', v]));
  view.categories.forEach((v) => p.push(['filter.categories', v]));
  view.segments.forEach((v) => p.push(['filter.segments', v]));
  return p;
}

let view = readView();
let generation = 0;

function setView(next, { push = true } = {}) {
  view = next;
  const q = viewQuery(view);
  const url = location.pathname + (q ? '?' + q : '');
  if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
  syncControls();
  refresh();
}

// --- Messages ---------------------------------------------------------------
function say(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.className = 'message' + (isError ? ' error' : '');
  m.hidden = !text;
}

function explain(error) {
  if (error instanceof ApiError) {
    if (error.status === 401) {
      openTokenDialog('This server requires a bearer token.');
      return 'Sign-in needed: enter a token.';
    }
    if (error.status === 403) return 'Not allowed with this token: ' + error.message;
    return error.message;
  }
  return String(error && error.message ? error.message : error);
}

// --- Filters ------------------------------------------------------------------
async function loadChoices() {
  const dims = [['DIMENSION_REGION', 'filter-regions', 'regions'],
    ['DIMENSION_CATEGORY', 'filter-categories', 'categories'],
    ['DIMENSION_SEGMENT', 'filter-segments', 'segments']];
  await Promise.all(dims.map(async ([dimension, id, key]) => {
    const reply = await api('/v1/breakdown', [['dimension', dimension], ['order_by', 'MEASURE_REVENUE']]);
    const values = (reply.rows || []).map((r) => r.key).sort();
    for (const v of view[key]) if (!values.includes(v)) values.push(v);
    const box = $(id);
    box.replaceChildren(...values.map((value) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.name = key;
      input.value = value;
      label.append(input, ' ' + value);
      return label;
    }));
  }));
  syncControls();
}

function syncControls() {
  $('filter-from').value = view.from;
  $('filter-to').value = view.to;
  for (const key of ['regions', 'categories', 'segments']) {
    document.querySelectorAll(`input[name="${key}"]`).forEach((box) => {
      box.checked = view[key].includes(box.value);
    });
  }
  $('trend-granularity').value = view.granularity;
  $('vip-size').value = view.vipSize;
}

function viewFromControls() {
  const picked = (key) => [...document.querySelectorAll(`input[name="${key}"]:checked`)].map((b) => b.value);
  return Object.assign({}, view, {
    from: $('filter-from').value,
    to: $('filter-to').value,
    regions: picked('regions'),
    categories: picked('categories'),
    segments: picked('segments'),
  });
}

// --- Panels -------------------------------------------------------------------
// Charts are uPlot plots (web/README.md says why): x is the row index, its
// label comes from `labels`; the legend under each plot reads out the values
// under the cursor (uPlot's legend is its tooltip).
const charts = {};  // element id -> { plot, labels, series, bars }

const compactMoney = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 });
const LEGEND_PX = 34;  // the legend's row under the plot

function plotSize(el) {
  return { width: Math.max(160, el.clientWidth), height: Math.max(120, el.clientHeight - LEGEND_PX) };
}

// Draws `series` ([{ name, color, values }]) over the category `labels`
// (named `axis` in the legend) in the element `id`, as bars or lines.
function drawChart(id, labels, series, { bars = false, axis = '' } = {}) {
  const el = $(id);
  const xs = labels.map((_, i) => i);
  // Every label when they fit (about 70 px each), else every k-th.
  const every = (u) => Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(u.bbox.width / devicePixelRatio / 70))));
  const opts = Object.assign(plotSize(el), {
    cursor: { drag: { x: false, y: false }, points: { show: !bars } },
    legend: { show: true, live: true },
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(0.5, labels.length - 0.5)] },
      y: { range: (u, min, max) => uPlot.rangeNum(Math.min(0, min), Math.max(0, max), 0.1, true) },
    },
    series: [
      { label: axis, value: (u, i) => (i === null || i === undefined ? '—' : labels[i] || '') },
      ...series.map((s) => ({
        label: s.name,
        stroke: s.color,
        width: bars ? 0 : 2,
        fill: bars ? s.color : undefined,
        paths: bars ? uPlot.paths.bars({ size: [0.6, 96] }) : undefined,
        points: { show: !bars && labels.length < 60 },
        value: (u, v) => (v === null || v === undefined ? '—' : money.format(v)),
      })),
    ],
    axes: [
      {
        grid: { show: false },
        splits: (u) => xs.filter((i) => i % every(u) === 0),
        values: (u, splits) => splits.map((i) => labels[i] || ''),
      },
      { size: 64, values: (u, splits) => splits.map((v) => compactMoney.format(v)) },
    ],
  });
  if (charts[id]) charts[id].plot.destroy();
  const data = [xs, ...series.map((s) => s.values)];
  charts[id] = { plot: new uPlot(opts, data, el), labels, series: series.map((s) => s.values), bars };
}

// What a chart plots, for the browser tests: its category labels and the
// series' values as handed to the plot.
window.dashboardChart = (id) => {
  const c = charts[id];
  return c ? { labels: c.labels, series: c.plot.data.slice(1) } : null;
};

const KPI_CARDS = [
  ['revenue', 'Revenue', (m) => money.format(num(m.revenue)), 'revenuePct'],
  ['profit', 'Profit', (m) => money.format(num(m.profit)), 'profitPct'],
  ['margin', 'Margin', (m) => pct.format(num(m.margin)), 'marginPoints'],
  ['orders', 'Orders', (m) => count.format(num(m.orders)), 'ordersPct'],
  ['customers', 'Customers', (m) => count.format(num(m.customers)), 'customersPct'],
  ['averageOrderValue', 'Avg. order value', (m) => money.format(num(m.averageOrderValue)), 'averageOrderValuePct'],
];

function renderKpis(reply) {
  const current = reply.current || {};
  const change = reply.change || {};
  const hasPrevious = num((reply.previous || {}).orders) > 0;
  $('kpi-period').textContent = reply.periodStartDate
    ? `${reply.periodStartDate} to ${reply.periodEndDate}, compared with ${reply.previousStartDate} to ${reply.previousEndDate}`
    : 'No data for these filters.';
  $('kpi-cards').replaceChildren(...KPI_CARDS.map(([key, title, format, changeKey]) => {
    const card = document.createElement('article');
    card.className = 'card';
    card.dataset.kpi = key;
    const h = document.createElement('h3');
    h.textContent = title;
    const value = document.createElement('p');
    value.className = 'value';
    value.dataset.value = String(num(current[key]));
    value.textContent = format(current);
    const delta = document.createElement('p');
    delta.className = 'change';
    // Margin points are always set; with no orders before, there is nothing to compare.
    const c = hasPrevious ? change[changeKey] : undefined;
    if (c === undefined || c === null) {
      delta.textContent = 'no previous period';
      delta.dataset.change = '';
    } else {
      const points = changeKey === 'marginPoints';
      delta.dataset.change = String(c);
      delta.textContent = `${c >= 0 ? '▲ +' : '▼ '}${c.toFixed(1)}${points ? ' pts' : ' %'} vs previous`;
      delta.classList.add(c >= 0 ? 'up' : 'down');
    }
    card.append(h, value, delta);
    return card;
  }));
}

function renderBreakdown(id, reply, measure, color, label, axis) {
  const rows = reply.rows || [];
  drawChart(id, rows.map((r) => r.label || r.key),
    [{ name: measure === 'profit' ? 'Profit' : 'Revenue', color, values: rows.map((r) => num((r.measures || {})[measure])) }],
    { bars: true, axis });
  $(id).setAttribute('aria-label', label + ': ' + rows.map((r) =>
    `${r.label || r.key} ${money.format(num((r.measures || {})[measure]))}`).join(', '));
}

function renderTrend(reply) {
  const buckets = reply.buckets || [];
  drawChart('chart-trend', buckets.map((b) => b.label), [
    { name: 'Revenue', color: '#2457c5', values: buckets.map((b) => num(b.revenue)) },
    { name: 'Profit', color: '#17803d', values: buckets.map((b) => num(b.profit)) },
  ], { axis: 'Period' });
  $('chart-trend').setAttribute('aria-label', `Revenue and profit in ${buckets.length} buckets`);
}

function groupRows(tbody, groups) {
  tbody.replaceChildren(...groups.map((g) => {
    const tr = document.createElement('tr');
    tr.dataset.group = g.tier !== 'TIER_UNSPECIFIED' && g.tier ? g.tier : g.rfmSegment;
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = g.displayName;
    const customers = document.createElement('td');
    customers.dataset.value = String(num(g.customers));
    customers.textContent = count.format(num(g.customers));
    const share = document.createElement('td');
    share.dataset.value = String(num(g.revenueShare));
    share.textContent = pct.format(num(g.revenueShare));
    tr.append(name, customers, share);
    return tr;
  }));
}

function renderRfm(reply) {
  groupRows($('rfm-tiers').tBodies[0], reply.tiers || []);
  groupRows($('rfm-segments').tBodies[0], reply.segments || []);
}

// R×F counts from every scored customer (pages of 1000, at most 20 pages).
async function loadHeat(v, gen) {
  const grid = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
  let pageToken = '';
  let seen = 0;
  let total = 0;
  for (let page = 0; page < 20; page++) {
    const params = filterParams(v).concat([['page_size', '1000']]);
    if (pageToken) params.push(['page_token', pageToken]);
    const reply = await api('/v1/customers', params);
    if (gen !== generation) return;
    total = num(reply.totalSize);
    for (const c of reply.customers || []) {
      grid[c.recencyScore - 1][c.frequencyScore - 1] += 1;
      seen += 1;
    }
    pageToken = reply.nextPageToken;
    if (!pageToken) break;
  }
  const max = Math.max(1, ...grid.flat());
  const table = $('rfm-heat');
  const head = document.createElement('tr');
  head.append(Object.assign(document.createElement('th'), { textContent: 'R \\ F' }));
  for (let f = 1; f <= 5; f++) head.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: 'F' + f }));
  const rows = [head];
  for (let r = 5; r >= 1; r--) {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { scope: 'row', textContent: 'R' + r }));
    for (let f = 1; f <= 5; f++) {
      const n = grid[r - 1][f - 1];
      const td = document.createElement('td');
      td.dataset.r = r;
      td.dataset.f = f;
      td.dataset.value = String(n);
      td.textContent = n;
      const a = n / max;
      td.style.background = `rgba(36, 87, 197, ${0.08 + 0.85 * a})`;
      td.style.color = a > 0.5 ? '#fff' : 'inherit';
      tr.append(td);
    }
    rows.push(tr);
  }
  table.replaceChildren(...rows);
  $('rfm-heat-note').textContent = seen < total
    ? `The first ${count.format(seen)} of ${count.format(total)} customers.`
    : `${count.format(total)} customers; R and F scores 1 to 5, 5 best.`;
}

// --- VIP list -------------------------------------------------------------------
let vipTokens = [''];  // page tokens of the pages seen, for Previous
let vipPage = 0;

function vipParams(v, pageToken, size) {
  const p = filterParams(v).concat([['tier', 'TIER_GOLD'], ['order_by', v.vipSort], ['page_size', String(size)]]);
  if (pageToken) p.push(['page_token', pageToken]);
  return p;
}

async function loadVip(v, gen) {
  const reply = await api('/v1/customers', vipParams(v, vipTokens[vipPage], v.vipSize));
  if (gen !== generation) return;
  const tbody = $('vip').tBodies[0];
  tbody.replaceChildren(...(reply.customers || []).map((c) => {
    const tr = document.createElement('tr');
    tr.tabIndex = 0;
    tr.dataset.customer = c.customerId;
    const cells = [c.customerId, c.customerName, money.format(num(c.monetary)), count.format(num(c.frequency)),
      count.format(num(c.recencyDays)), money.format(num(c.lifetimeProfit)),
      (c.rfmSegment || '').replace('RFM_SEGMENT_', '').replaceAll('_', ' ').toLowerCase()];
    const values = [c.customerId, c.customerName, num(c.monetary), num(c.frequency), num(c.recencyDays), num(c.lifetimeProfit), c.rfmSegment];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      td.dataset.value = String(values[i]);
      tr.append(td);
    });
    return tr;
  }));
  const total = num(reply.totalSize);
  const size = Number(v.vipSize);
  const pages = Math.max(1, Math.ceil(total / size));
  $('vip-page').textContent = `Page ${vipPage + 1} of ${pages} (${count.format(total)} Gold customers)`;
  $('vip').dataset.total = String(total);
  vipTokens[vipPage + 1] = reply.nextPageToken || '';
  $('vip-next').disabled = !reply.nextPageToken;
  $('vip-prev').disabled = vipPage === 0;
  const [field, dir] = v.vipSort.split(' ');
  document.querySelectorAll('#vip th[data-sort]').forEach((th) => {
    if (th.dataset.sort === field) th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  });
}

function csvCell(v) {
  const s = String(v === undefined || v === null ? '' : v);
  return /[",\n\r]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s;
}

async function downloadVipCsv() {
  const lines = [['customer_id', 'customer_name', 'segment', 'region', 'monetary', 'frequency', 'recency_days', 'lifetime_revenue', 'lifetime_profit', 'rfm_segment'].join(',')];
  let pageToken = '';
  do {
    const reply = await api('/v1/customers', vipParams(view, pageToken, 1000));
    for (const c of reply.customers || []) {
      lines.push([c.customerId, c.customerName, c.segment, c.region, num(c.monetary), num(c.frequency),
        num(c.recencyDays), num(c.lifetimeRevenue), num(c.lifetimeProfit), c.rfmSegment].map(csvCell).join(','));
    }
    pageToken = reply.nextPageToken;
  } while (pageToken);
  const blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
  $('vip').dataset.csvRows = String(lines.length - 1);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'vip-customers.csv';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return lines.length - 1;
}

// --- Customer drill-down ----------------------------------------------------------
async function showCustomer(id) {
  const box = $('customer-detail');
  $('customer-id').value = id;
  box.dataset.state = 'loading';
  try {
    const reply = await api('/v1/customers/' + encodeURIComponent(id), filterParams(view));
    const c = reply.customer || {};
    const dl = document.createElement('dl');
    dl.className = 'facts';
    const facts = [['Name', c.customerName], ['Segment', c.segment], ['Region', c.region],
      ['Tier', TIER_NAMES[c.tier] || c.tier], ['RFM segment', (c.rfmSegment || '').replace('RFM_SEGMENT_', '')],
      ['Scores R/F/M', `${c.recencyScore}/${c.frequencyScore}/${c.monetaryScore}`],
      ['Lifetime revenue', money.format(num(c.lifetimeRevenue))], ['Lifetime profit', money.format(num(c.lifetimeProfit))],
      ['Orders', count.format(num(c.lifetimeOrders))], ['First order', c.firstOrderDate], ['Last order', c.lastOrderDate],
      ['Recency (days)', count.format(num(c.recencyDays))]];
    for (const [k, v] of facts) {
      dl.append(Object.assign(document.createElement('dt'), { textContent: k }),
        Object.assign(document.createElement('dd'), { textContent: v === undefined ? '' : v }));
    }
    const table = document.createElement('table');
    table.className = 'numbers';
    table.innerHTML = '<caption>Revenue by category</caption><thead><tr><th scope="col">Category</th><th scope="col"></th><th scope="col">Revenue</th><th scope="col">Profit</th></tr></thead>';
    const tbody = document.createElement('tbody');
    for (const row of reply.categories || []) {
      const tr = document.createElement('tr');
      [row.label || row.key, '', money.format(num(row.measures.revenue)), money.format(num(row.measures.profit))]
        .forEach((t) => tr.append(Object.assign(document.createElement('td'), { textContent: t })));
      tbody.append(tr);
    }
    table.append(tbody);
    box.replaceChildren(dl, table);
    box.dataset.customer = c.customerId;
    box.dataset.state = 'ready';
  } catch (error) {
    box.replaceChildren(Object.assign(document.createElement('p'), { className: 'note', textContent: explain(error) }));
    box.dataset.state = 'error';
  }
}

// --- Refresh: every panel for the current view -------------------------------------
async function refresh() {
  const gen = ++generation;
  const v = view;
  const query = viewQuery(v);
  document.body.dataset.state = 'loading';
  const f = filterParams(v);
  try {
    const [kpis, regions, categories, trend, rfm] = await Promise.all([
      api('/v1/kpis', f),
      api('/v1/breakdown', f.concat([['dimension', 'DIMENSION_REGION'], ['order_by', 'MEASURE_PROFIT']])),
      api('/v1/breakdown', f.concat([['dimension', 'DIMENSION_CATEGORY'], ['order_by', 'MEASURE_REVENUE']])),
      api('/v1/salesTrend', f.concat([['granularity', v.granularity]])),
      api('/v1/rfmSummary', f),
      loadVip(v, gen),
      loadHeat(v, gen),
    ]);
    if (gen !== generation) return;
    renderKpis(kpis);
    renderBreakdown('chart-region', regions, 'profit', '#2457c5', 'Profit by region', 'Region');
    renderBreakdown('chart-category', categories, 'revenue', '#8a4fbf', 'Sales by category', 'Category');
    renderTrend(trend);
    renderRfm(rfm);
    say('');
    document.body.dataset.view = query;
    if (!document.body.dataset.readyMs) document.body.dataset.readyMs = String(performance.now());
    document.body.dataset.state = 'ready';
  } catch (error) {
    if (gen !== generation) return;
    say(explain(error), true);
    document.body.dataset.view = query;
    document.body.dataset.state = 'error';
  }
}

// --- Writes: demo data and CSV upload --------------------------------------------
async function loadDemo() {
  const button = $('demo-button');
  button.disabled = true;
  try {
    const reply = await api('/v1/demoData:seed', [], {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ replace: true }),
    });
    say(`Loaded ${count.format(num(reply.linesGenerated))} demo lines (${reply.firstDate} to ${reply.lastDate}).`);
    await afterWrite();
    // Set once every panel shows the new data.
    document.body.dataset.lastWrite = 'demo-ok';
  } catch (error) {
    say(explain(error), true);
    document.body.dataset.lastWrite = 'demo-error-' + (error.status || 0);
  } finally {
    button.disabled = false;
  }
}

function upload(file) {
  const panel = $('upload-panel');
  panel.hidden = false;
  panel.dataset.state = 'uploading';
  const progress = $('upload-progress');
  progress.value = 0;
  $('upload-summary').textContent = `Uploading ${file.name} (${count.format(file.size)} bytes)…`;
  $('upload-rejects').hidden = true;
  const url = new URL('/v1/customers:import', location.origin);
  if ($('upload-skip-invalid').checked) url.searchParams.set('options.skip_invalid', 'true');
  const xhr = new XMLHttpRequest();
  xhr.open('POST', url);
  xhr.setRequestHeader('Content-Type', 'text/csv');
  if (token()) xhr.setRequestHeader('Authorization', 'Bearer ' + token());
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total; };
  xhr.onerror = () => {
    $('upload-summary').textContent = 'The upload failed: the connection was lost.';
    panel.dataset.state = 'error';
  };
  xhr.onload = async () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status !== 200) {
      $('upload-summary').textContent = 'Import refused: ' + explain(new ApiError(xhr.status, body));
      panel.dataset.state = 'error';
      return;
    }
    progress.value = 100;
    const r = body;
    $('upload-summary').textContent = `${file.name}: ${count.format(num(r.linesRead))} lines read, ` +
      `${count.format(num(r.accepted))} accepted (${count.format(num(r.inserted))} new, ${count.format(num(r.updated))} updated), ` +
      `${count.format(num(r.rejected))} rejected; ${r.committed ? 'saved' : 'nothing saved'}.`;
    const rejects = r.rejectedLines || [];
    const table = $('upload-rejects');
    table.tBodies[0].replaceChildren(...rejects.map((x) => {
      const tr = document.createElement('tr');
      [x.lineNumber, x.field, x.reason].forEach((t) => tr.append(Object.assign(document.createElement('td'), { textContent: t })));
      return tr;
    }));
    table.hidden = rejects.length === 0;
    panel.dataset.accepted = String(num(r.accepted));
    panel.dataset.rejected = String(num(r.rejected));
    panel.dataset.state = 'done';
    await afterWrite();
  };
  xhr.send(file);
}

async function afterWrite() {
  vipTokens = [''];
  vipPage = 0;
  try { await loadChoices(); } catch (error) { say(explain(error), true); }
  await refresh();
}

// --- Token ----------------------------------------------------------------------------
function openTokenDialog(why) {
  const dialog = $('token-dialog');
  $('token-why').textContent = why || 'A bearer token for this server. It is kept in this tab only.';
  $('token-input').value = token();
  if (!dialog.open) dialog.showModal();
}

function wire() {
  $('filters').addEventListener('change', () => { vipTokens = ['']; vipPage = 0; setView(viewFromControls()); });
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('filter-reset').addEventListener('click', () => {
    vipTokens = ['']; vipPage = 0;
    setView(Object.assign({}, view, { from: '', to: '', regions: [], categories: [], segments: [] }));
  });
  $('trend-granularity').addEventListener('change', (e) => setView(Object.assign({}, view, { granularity: e.target.value })));
  $('vip-size').addEventListener('change', (e) => { vipTokens = ['']; vipPage = 0; setView(Object.assign({}, view, { vipSize: e.target.value })); });
  document.querySelectorAll('#vip th[data-sort] button').forEach((b) => b.addEventListener('click', () => {
    const field = b.parentElement.dataset.sort;
    const [current, dir] = view.vipSort.split(' ');
    const next = current === field && dir === 'desc' ? 'asc' : 'desc';
    vipTokens = ['']; vipPage = 0;
    setView(Object.assign({}, view, { vipSort: `${field} ${next}` }));
  }));
  $('vip-next').addEventListener('click', () => { vipPage += 1; refresh(); });
  $('vip-prev').addEventListener('click', () => { vipPage = Math.max(0, vipPage - 1); refresh(); });
  $('vip-csv').addEventListener('click', () => downloadVipCsv().catch((e) => say(explain(e), true)));
  const pick = (e) => {
    const tr = e.target.closest('tr[data-customer]');
    if (tr && (e.type === 'click' || e.key === 'Enter')) showCustomer(tr.dataset.customer);
  };
  $('vip').tBodies[0].addEventListener('click', pick);
  $('vip').tBodies[0].addEventListener('keydown', pick);
  $('customer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = $('customer-id').value.trim();
    if (id) showCustomer(id);
  });
  $('demo-button').addEventListener('click', loadDemo);
  $('upload-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    if (file) upload(file);
    e.target.value = '';
  });
  $('token-button').addEventListener('click', () => openTokenDialog());
  $('token-cancel').addEventListener('click', () => $('token-dialog').close());
  $('token-clear').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); $('token-dialog').close(); afterWrite(); });
  $('token-form').addEventListener('submit', () => {
    const t = $('token-input').value.trim();
    if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
    afterWrite();
  });
  window.addEventListener('popstate', () => { view = readView(); syncControls(); refresh(); });
  let resizing = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(() => {
      for (const [id, c] of Object.entries(charts)) c.plot.setSize(plotSize($(id)));
    });
  });
}

async function start() {
  wire();
  syncControls();
  // The filter choices and the panels load at once: the panels read the
  // view from the URL, not from the choice boxes.
  const choices = loadChoices().catch((error) => say(explain(error), true));
  await Promise.all([choices, refresh()]);
}

start();
