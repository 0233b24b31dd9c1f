/* app.js - the wallboard page: renders each snapshot of /wallboard/events (docs/wallboard.md). */
'use strict';

/*
 * Every value element carries data-value, the snapshot's raw value ('' for null), and
 * shows it formatted; tests read both. Waits tick between snapshots from the time the
 * snapshot arrived, by this browser's clock only, so a skewed clock cannot shift them.
 * Text from the server goes in through textContent only: nothing it sends is markup.
 */

const BUCKET_LABELS = ['≤10', '≤20', '≤30', '≤60', '≤90', '≤120', '>120'];
const STATE_ORDER = ['available', 'ringing', 'on-call', 'wrap-up', 'paused', 'logged-out'];

let snapshot = null;
let receivedAt = 0;

/* ---- formatting ---- */

function pad2(n) {
  return (n < 10 ? '0' : '') + n;
}

/* 75 -> "1:15", 3725 -> "1:02:05". */
function fmtDuration(s) {
  if (s === null || s === undefined || !isFinite(s)) return '—';
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? h + ':' + pad2(m) + ':' + pad2(sec) : m + ':' + pad2(sec);
}

function fmtPct(x) {
  return x === null || x === undefined ? '—' : (x * 100).toFixed(1) + ' %';
}

function fmtSecs(x) {
  return x === null || x === undefined ? '—' : x.toFixed(1) + ' s';
}

function fmtCount(x) {
  return x === null || x === undefined ? '—' : String(x);
}

function fmtClock(ms) {
  const d = new Date(ms);
  return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
}

/* ---- DOM helpers ---- */

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/* Sets e's raw value and its text. */
function show(e, raw, text) {
  e.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  e.textContent = text;
}

/* A new value element: <tag class=cls data-field=field data-value=raw>text</tag>. */
function valueEl(tag, cls, field, raw, text) {
  const e = el(tag, cls);
  e.dataset.field = field;
  show(e, raw, text);
  return e;
}

function setById(id, raw, text) {
  const e = document.getElementById(id);
  if (e) show(e, raw, text);
}

/* A labelled value: <div class=stat><span label/><span value data-field/></div>. */
function stat(label, field, raw, text, extraClass) {
  const box = el('div', 'stat' + (extraClass ? ' ' + extraClass : ''));
  box.appendChild(el('span', 'label', label));
  box.appendChild(valueEl('span', 'value', field, raw, text));
  return box;
}

/* ---- queues ---- */

const SVG_NS = 'http://www.w3.org/2000/svg';

/* The abandon wait buckets as a bar chart (inline SVG). */
function bucketChart(buckets) {
  const w = 360, h = 120, gap = 6, top = 16, bottom = 22;
  const n = buckets.length, bw = (w - gap * (n + 1)) / n;
  const max = Math.max(1, ...buckets.map((b) => b.calls));
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Abandoned calls by wait (seconds)');
  svg.dataset.field = 'abandon-chart';
  buckets.forEach((b, i) => {
    const bh = (h - top - bottom) * (b.calls / max);
    const x = gap + i * (bw + gap), y = h - bottom - bh;
    const r = document.createElementNS(SVG_NS, 'rect');
    r.setAttribute('x', x.toFixed(1));
    r.setAttribute('y', y.toFixed(1));
    r.setAttribute('width', bw.toFixed(1));
    r.setAttribute('height', Math.max(bh, 1).toFixed(1));
    r.setAttribute('class', b.calls > 0 ? 'bar' : 'bar empty');
    r.dataset.bucket = b.le_s === null ? 'inf' : String(b.le_s);
    r.dataset.value = String(b.calls);
    svg.appendChild(r);
    const count = document.createElementNS(SVG_NS, 'text');
    count.setAttribute('x', (x + bw / 2).toFixed(1));
    count.setAttribute('y', (y - 3).toFixed(1));
    count.setAttribute('class', 'bar-count');
    count.textContent = String(b.calls);
    svg.appendChild(count);
    const label = document.createElementNS(SVG_NS, 'text');
    label.setAttribute('x', (x + bw / 2).toFixed(1));
    label.setAttribute('y', String(h - 6));
    label.setAttribute('class', 'bar-label');
    label.textContent = BUCKET_LABELS[i] || '';
    svg.appendChild(label);
  });
  return svg;
}

function slClass(sl, target) {
  if (sl === null || target === null) return 'neutral';
  return sl >= target ? 'good' : 'bad';
}

function staffingBox(q) {
  const s = q.staffing;
  const box = el('div', 'staffing');
  box.appendChild(el('span', 'label', 'Erlang C: agents needed'));
  const loggedIn = s ? s.agents_logged_in : q.agents_logged_in;
  const needed = valueEl('span', 'big', 'agents-needed', s ? s.agents_needed : null,
                         fmtCount(s ? s.agents_needed : null));
  if (s && s.agents_needed !== null) needed.classList.add(s.short_by > 0 ? 'bad' : 'good');
  box.append(needed, valueEl('span', 'of', 'staff-logged-in', loggedIn, ' / ' + loggedIn + ' logged in'));
  const detail = el('div', 'note');
  box.appendChild(detail);
  if (!s) {
    detail.textContent = 'no counters';
    return box;
  }
  const a = s.traffic_erlangs === undefined ? null : s.traffic_erlangs;
  const shortBy = s.short_by === undefined ? null : s.short_by;
  detail.append(
    valueEl('span', null, 'traffic', a, a === null ? 'A —' : 'A ' + a.toFixed(2) + ' erl'),
    valueEl('span', null, 'staff-aht', s.aht_s,
            ' · AHT ' + fmtSecs(s.aht_s) + (s.aht_source === 'default' ? ' (default)' : '')),
    valueEl('span', null, 'short-by', shortBy, shortBy ? ' · short by ' + shortBy : ''));
  if (s.note) detail.appendChild(valueEl('span', null, 'staff-note', s.note, ' · ' + s.note));
  return box;
}

function queueCard(q) {
  const card = el('article', 'queue');
  card.dataset.queue = q.name;
  const head = el('h3');
  const name = valueEl('span', 'qname', 'name', q.name, q.name);
  const tenant = valueEl('span', 'tenant', 'tenant', q.tenant, q.tenant);
  head.append(name, tenant);
  card.appendChild(head);

  const stats = el('div', 'stats');
  stats.appendChild(stat('Waiting', 'waiting', q.waiting, fmtCount(q.waiting),
                         q.waiting > 0 ? 'hot' : ''));
  const lw = stat('Longest wait', 'longest-wait', q.longest_wait_s, fmtDuration(q.longest_wait_s));
  lw.querySelector('.value').dataset.tick = q.waiting > 0 ? '1' : '0';
  stats.appendChild(lw);
  const sl = stat('Service level', 'service-level', q.service_level, fmtPct(q.service_level),
                  slClass(q.service_level, q.sl_target));
  const target = valueEl('span', 'sub', 'sl-target', q.sl_target,
                         'target ' + fmtPct(q.sl_target) + ' in ' + q.sl_threshold_s + ' s');
  sl.appendChild(target);
  stats.appendChild(sl);
  stats.appendChild(stat('ASA', 'asa', q.asa_s, fmtSecs(q.asa_s)));
  stats.appendChild(stat('AHT', 'aht', q.aht_s, fmtSecs(q.aht_s)));
  stats.appendChild(stat('Offered', 'offered', q.offered, fmtCount(q.offered)));
  stats.appendChild(stat('Answered', 'answered', q.answered, fmtCount(q.answered)));
  const ab = stat('Abandoned', 'abandoned', q.abandoned, fmtCount(q.abandoned));
  const rate = valueEl('span', 'sub', 'abandon-rate', q.abandon_rate, fmtPct(q.abandon_rate));
  ab.appendChild(rate);
  stats.appendChild(ab);
  card.appendChild(stats);

  const lower = el('div', 'queue-lower');
  const chart = el('div', 'chart-box');
  chart.appendChild(el('span', 'label', 'Abandoned by wait (s)'));
  chart.appendChild(bucketChart(q.abandon_buckets));
  lower.append(chart, staffingBox(q));
  card.appendChild(lower);

  const variant = valueEl('div', 'variant', 'sl-variant', q.sl_variant, 'SL ' + q.sl_variant);
  card.appendChild(variant);
  return card;
}

/* ---- agents and sites ---- */

function agentTile(a, nowMs) {
  const t = el('div', 'agent state-' + a.state);
  t.dataset.agent = a.id;
  t.dataset.site = a.site;
  t.dataset.state = a.state;
  const id = valueEl('span', 'agent-id', 'id', a.id, a.id);
  const state = valueEl('span', 'agent-state', 'state', a.state, a.state);
  const reason = valueEl('span', 'agent-reason', 'pause-reason', a.pause_reason, a.pause_reason || '');
  const secs = a.state_since_ms ? (nowMs - a.state_since_ms) / 1000 : null;
  const since = valueEl('span', 'agent-since', 'since', secs === null ? null : Math.floor(secs),
                        fmtDuration(secs));
  since.dataset.tick = secs === null ? '0' : '1';
  const site = valueEl('span', 'agent-site', 'site', a.site, a.site);
  t.append(id, state, reason, since, site);
  return t;
}

function siteTile(s) {
  const t = el('div', 'site ' + (s.live ? 'live' : 'dark'));
  t.dataset.site = s.site;
  const name = valueEl('span', 'site-name', 'name', s.site, s.site + (s.self ? ' (this site)' : ''));
  const live = valueEl('span', 'badge ' + (s.live ? 'good' : 'bad'), 'live', s.live,
                       s.live ? 'LIVE' : 'DARK');
  const leader = valueEl('span', 'badge leader', 'leader', s.leader, s.leader ? 'LEADER' : '');
  leader.hidden = !s.leader;
  // A peer's state is its last heartbeat's: a dark site's is its last word, marked so.
  const any = s.anycast
    ? valueEl('span', 'anycast', 'anycast', s.anycast.announced,
              (s.anycast.announced ? 'anycast announced' : 'anycast withdrawn') +
              (s.anycast.why ? ' (' + s.anycast.why + ')' : '') +
              (s.live ? '' : ', last report'))
    : valueEl('span', 'anycast', 'anycast', null,
              s.self || s.anycast_reported ? 'no anycast address configured'
                                           : 'anycast not reported');
  t.append(name, live, leader, any);
  if (s.island) t.appendChild(el('span', 'badge warn', 'ISLAND'));
  if (s.draining) t.appendChild(el('span', 'badge warn', 'DRAINING'));
  return t;
}

/* ---- render ---- */

function renderTotals(t) {
  setById('total-waiting', t.waiting, fmtCount(t.waiting));
  setById('total-longest-wait', t.longest_wait_s, fmtDuration(t.longest_wait_s));
  document.getElementById('total-longest-wait').dataset.tick = t.waiting > 0 ? '1' : '0';
  setById('total-sl', t.service_level, fmtPct(t.service_level));
  setById('total-asa', t.asa_s, fmtSecs(t.asa_s));
  setById('total-aht', t.aht_s, fmtSecs(t.aht_s));
  setById('total-offered', t.offered, fmtCount(t.offered));
  setById('total-answered', t.answered, fmtCount(t.answered));
  setById('total-abandoned', t.abandoned, fmtCount(t.abandoned));
  setById('total-abandon-rate', t.abandon_rate, fmtPct(t.abandon_rate));
  setById('total-occupancy', t.occupancy, fmtPct(t.occupancy));
}

function renderDrill(d, nowMs) {
  const banner = document.getElementById('drill-banner');
  banner.hidden = !d;
  document.body.classList.toggle('drilling', !!d);
  setById('drill-name', d ? d.name : null, d ? d.name : '');
  setById('drill-by', d ? d.by : null, d ? d.by : '');
  setById('drill-started', d ? d.started_ms : null, d ? fmtClock(d.started_ms) : '');
  const el2 = document.getElementById('drill-elapsed');
  const secs = d ? (nowMs - d.started_ms) / 1000 : null;
  show(el2, secs === null ? null : Math.floor(secs), fmtDuration(secs));
  el2.dataset.tick = d ? '1' : '0';
}

function renderStates(counts) {
  const box = document.getElementById('agent-states');
  box.replaceChildren();
  STATE_ORDER.forEach((s) => {
    const c = el('div', 'state-count state-' + s);
    c.dataset.state = s;
    c.appendChild(el('span', 'label', s));
    const v = valueEl('span', 'value', 'count', counts[s] || 0, String(counts[s] || 0));
    c.appendChild(v);
    box.appendChild(c);
  });
}

function renderDefinitions(defs) {
  const dl = document.getElementById('definitions');
  dl.replaceChildren();
  Object.keys(defs).forEach((k) => {
    const dt = el('dt', null, k.replace(/_/g, ' '));
    const dd = el('dd', null, defs[k]);
    dd.dataset.definition = k;
    dl.append(dt, dd);
  });
}

function render(doc) {
  setById('site-name', doc.site, doc.site);
  setById('mode', doc.mode, doc.mode);
  document.getElementById('draining').hidden = !doc.draining;
  setById('clock', doc.now_ms, fmtClock(doc.now_ms));
  setById('leader', doc.leader, doc.leader || (doc.mode === 'alone' ? 'n/a (alone)' : 'none'));
  renderDrill(doc.drill, doc.now_ms);
  renderTotals(doc.totals);
  document.getElementById('queues').replaceChildren(...doc.queues.map(queueCard));
  renderStates(doc.agent_states);
  document.getElementById('agents').replaceChildren(...doc.agents
    .filter((a) => a.state !== 'logged-out')
    .concat(doc.agents.filter((a) => a.state === 'logged-out'))
    .map((a) => agentTile(a, doc.now_ms)));
  document.getElementById('sites').replaceChildren(...doc.sites.map(siteTile));
  renderDefinitions(doc.definitions);
}

/* Moves every ticking duration on by the time since the snapshot arrived. */
function tick() {
  if (!snapshot) return;
  const extra = (Date.now() - receivedAt) / 1000;
  document.querySelectorAll('[data-tick="1"]').forEach((e) => {
    if (e.dataset.value === '') return;
    e.textContent = fmtDuration(Number(e.dataset.value) + extra);
  });
}

function setConn(state) {
  setById('conn-status', state, state);
  document.getElementById('conn-status').className = 'badge ' + (state === 'live' ? 'good' : 'warn');
}

function connect() {
  const es = new EventSource('/wallboard/events');
  es.addEventListener('snapshot', (ev) => {
    let doc;
    try {
      doc = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    snapshot = doc;
    receivedAt = Date.now();
    render(doc);
    setConn('live');
    document.body.dataset.seq = ev.lastEventId || '0';
    document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
  });
  es.onerror = () => setConn('reconnecting');
}

document.addEventListener('DOMContentLoaded', () => {
  connect();
  setInterval(tick, 250);
});
