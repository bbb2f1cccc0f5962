/* sipwarden admin page.  Plain JavaScript, no libraries, no remote
 * resources; served by sipwarden itself under a CSP of default-src 'self'
 * (so no inline scripts or style attributes: everything is built with DOM
 * calls and textContent, never innerHTML with data).
 *
 * ---- The JSON API this page uses (the daemon implements it) ----
 * Every reply is JSON.  Errors: {"error": "message", "field": "name"} with
 * "field" only where one field is at fault (4xx).  Every request but GET
 * sends the header X-CSRF-Token (from login or /api/session).  401 on any
 * /api/ call means the session is gone: the page shows the login form.
 * Times are ISO 8601 UTC strings ("2026-11-27T08:00:00.123Z").
 *
 * Served by http.c:
 *   GET  /api/session  -> {"logged_in": bool, "csrf": "hex"|null, "password_set": bool}
 *   POST /api/login    {"password": "..."} -> {"csrf": "hex"} + cookie;
 *                      401 wrong password; 403 no password set (`sipwarden passwd`)
 *   POST /api/logout   -> {"ok": true}
 *
 * Served by the daemon (struct http_api):
 *   GET  /api/status -> {"version": "x.y", "uptime_s": n, "active_blocks": n,
 *          "kernel_drops": n, "packets": n?, "firewall": "nftables"?, "outbox": n?,
 *          "top_attackers": [{"ip": "203.0.113.5", "count": n}]   (last 7 days, most first)}
 *   GET  /api/config -> one flat object, "section.key": value, every value a
 *          string exactly as in the config file:
 *          {"general.protocols": "udp" | "tcp" | "udp, tcp", "general.sip_ports": "5060",
 *           "sip.bad_registrations": "10/1m", "general.block_time": "1h",
 *           "general.block_threshold": "0", "sip.blocked_user_agents": "a, b",
 *           "sip.bad_invites": "10/1m", "sip.enumeration": "20/1m", "sip.anomalies": "5/1m",
 *           "sip.flood": "200/10s", "sip.nat_tolerance": "3",
 *           "tftp.enabled": "yes", "dns.enabled": "yes",
 *           "notify.daily_summary": "yes", "notify.per_attack": "yes"}
 *   PUT  /api/config  the same object (the fields above) -> {"ok": true}; the
 *          daemon validates all, writes the file (cfgedit) and applies it;
 *          400 {"error": "...", "field": "general.block_time"} changes nothing.
 *   GET  /api/blocks?q=TEXT&limit=N -> {"total": n, "blocks": [{"ip": "203.0.113.5",
 *          "detector": "bad_registration", "reason": "...", "instance": "default",
 *          "start": time, "end": time|null, "permanent": bool}]}   (q: part of the address)
 *   POST /api/blocks {"address": "203.0.113.9" or CIDR, "duration": "1h" | "permanent",
 *          "reason": "..."} -> {"ok": true}; 400 with field "address" / "duration"
 *   DELETE /api/blocks/ADDRESS (encodeURIComponent: "/" of a prefix is %2F;
 *          the server sees the decoded path "/api/blocks/203.0.113.0/24") -> {"ok": true}; 404
 *   GET  /api/lists/whitelist (or blacklist) -> {"entries": [{"address": "198.51.100.0/24",
 *          "comment": "office", "added": time|null, "source": "config" | "runtime"}]}
 *   POST /api/lists/whitelist {"address": "...", "comment": "..."} -> {"ok": true}; 400 field "address"
 *   DELETE /api/lists/whitelist?address=ENCODED -> {"ok": true}; 404
 *   GET  /api/recipients -> {"recipients": ["admin@example.com"]}
 *   POST /api/recipients {"address": "a@example.com"} -> {"ok": true}; 400 field "address"
 *   DELETE /api/recipients?address=ENCODED -> {"ok": true}; 404
 *   POST /api/notify/test -> {"ok": true, "message": "..."}; 4xx {"error": "..."}
 *   GET  /api/events?since=TIME&limit=N&detector=NAME&ip=ADDR -> {"events": [EVENT, ...]}
 *          newest first; EVENT is the event JSON line of event.c ({"time", "event",
 *          "ip", "detector", "reason", "count", "window_s", "duration_s", "instance",
 *          "evidence"...}); since is inclusive (the page drops repeats).
 *   GET  /api/stats/hourly?days=7 -> {"start": time (a whole hour), "counts": [n, ...]}
 *          attacks (block events) per hour from start, oldest first, 24 * days entries.
 */
'use strict';

(function () {
  const DETECTORS = ['bad_registration', 'scanner', 'enumeration', 'bad_invite', 'anomaly',
    'flood', 'blacklist', 'manual', 'toll_fraud', 'distributed_guessing', 'aggregate',
    'tftp_bruteforce', 'dns_abuse', 'admin_login'];
  const POLL_LOG_MS = 4000;
  const POLL_DASH_MS = 15000;

  const state = { csrf: null, tab: 'dashboard', timers: {}, logSeen: new Set(), logNewest: null };
  const $ = (id) => document.getElementById(id);

  /* ---- DOM helpers ---- */

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid);
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function fmtTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function fmtDuration(s) {
    if (s === null || s === undefined || s < 0) return '';
    if (s === 0) return 'permanent';
    const units = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
    const parts = [];
    for (const [u, n] of units) {
      if (s >= n && parts.length < 2) {
        parts.push(Math.floor(s / n) + u);
        s %= n;
      }
    }
    return parts.join(' ') || '0s';
  }

  function toast(msg, bad) {
    const t = $('toast');
    t.textContent = msg;
    t.className = bad ? 'toast bad' : 'toast';
    clearTimeout(state.timers.toast);
    state.timers.toast = setTimeout(() => { t.textContent = ''; t.className = 'toast'; }, 5000);
  }

  /* ---- API ---- */

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || ('HTTP ' + status));
      this.status = status;
      this.field = body && body.field;
    }
  }

  async function api(method, path, body) {
    const opt = { method, credentials: 'same-origin', headers: {} };
    if (method !== 'GET' && state.csrf) opt.headers['X-CSRF-Token'] = state.csrf;
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    const res = await fetch(path, opt);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401 && path !== '/api/login') {
      showLogin();
      throw new ApiError(401, data);
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data || {};
  }

  function qs(params) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
    const s = p.toString();
    return s ? '?' + s : '';
  }

  /* ---- login ---- */

  function showOnly(id) {
    for (const s of ['nopass', 'login', 'app']) $(s).hidden = s !== id;
    $('logout').hidden = id !== 'app';
  }

  function showLogin() {
    stopTimers();
    state.csrf = null;
    showOnly('login');
    $('password').focus();
  }

  async function boot() {
    let s;
    try {
      s = await api('GET', '/api/session');
    } catch (e) {
      showOnly('login');
      $('login-error').textContent = 'Cannot reach sipwarden: ' + e.message;
      return;
    }
    if (!s.password_set) return showOnly('nopass');
    if (!s.logged_in) return showLogin();
    state.csrf = s.csrf;
    startApp();
  }

  async function onLogin(ev) {
    ev.preventDefault();
    const err = $('login-error');
    err.textContent = '';
    try {
      const r = await api('POST', '/api/login', { password: $('password').value });
      state.csrf = r.csrf;
      $('password').value = '';
      startApp();
    } catch (e) {
      if (e.status === 403) return showOnly('nopass');
      err.textContent = e.status === 401 ? 'Wrong password.' : e.message;
      $('password').select();
    }
  }

  async function onLogout() {
    try { await api('POST', '/api/logout'); } catch (e) { /* gone anyway */ }
    showLogin();
  }

  /* ---- tabs ---- */

  const TABS = ['dashboard', 'general', 'lists', 'recipients', 'blocks', 'log'];
  const LOADERS = {
    dashboard: loadDashboard, general: loadConfig, lists: loadLists,
    recipients: loadRecipients, blocks: loadBlocks, log: () => loadLog(true),
  };

  function stopTimers() {
    for (const k of ['dash', 'log']) clearInterval(state.timers[k]);
  }

  function selectTab(name, focus) {
    state.tab = name;
    for (const t of TABS) {
      const tab = $('tab-' + t), on = t === name;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
    }
    if (focus) $('tab-' + name).focus();
    stopTimers();
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
    LOADERS[name]().catch(report);
    if (name === 'dashboard') state.timers.dash = setInterval(() => loadDashboard().catch(report), POLL_DASH_MS);
    if (name === 'log') state.timers.log = setInterval(() => { if ($('log-live').checked) loadLog(false).catch(report); }, POLL_LOG_MS);
  }

  function onTabKey(ev) {
    const i = TABS.indexOf(state.tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    selectTab(TABS[(next + TABS.length) % TABS.length], true);
  }

  function startApp() {
    showOnly('app');
    const want = location.hash.slice(1);
    selectTab(TABS.includes(want) ? want : 'dashboard', false);
  }

  function report(e) {
    if (e && e.status !== 401) toast(e.message || String(e), true);
  }

  /* ---- dashboard ---- */

  async function loadDashboard() {
    const [st, hourly] = await Promise.all([
      api('GET', '/api/status'),
      api('GET', '/api/stats/hourly?days=7'),
    ]);
    $('stat-blocks').textContent = st.active_blocks ?? '–';
    $('stat-drops').textContent = st.kernel_drops ?? '–';
    $('stat-uptime').textContent = fmtDuration(st.uptime_s) || '–';
    const dl = $('status-list');
    clear(dl);
    const rows = [['Version', st.version], ['Firewall', st.firewall], ['Packets seen', st.packets],
      ['Mail outbox', st.outbox]];
    for (const [k, v] of rows) if (v !== undefined && v !== null) dl.append(el('dt', { text: k }), el('dd', { text: String(v) }));
    const tb = $('top-attackers').tBodies[0];
    clear(tb);
    for (const a of st.top_attackers || []) {
      tb.append(el('tr', null, el('td', { text: a.ip }), el('td', { class: 'num', text: String(a.count) })));
    }
    if (!tb.rows.length) tb.append(el('tr', null, el('td', { colspan: 2, class: 'empty', text: 'No attacks in the last 7 days.' })));
    drawChart(hourly);
  }

  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Bars of attacks per hour, one day per grid column, with a y scale. */
  function drawChart(h) {
    const box = $('chart');
    clear(box);
    const counts = (h && h.counts) || [];
    const start = h && h.start ? new Date(h.start).getTime() : Date.now() - counts.length * 3600e3;
    const W = 840, H = 220, L = 40, B = 24, T = 10;
    const max = Math.max(1, ...counts);
    const bw = (W - L) / Math.max(1, counts.length);
    const ph = H - B - T;
    box.setAttribute('viewBox', `0 0 ${W} ${H}`);
    box.append(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, class: 'axis' }));
    for (const f of [0.5, 1]) {
      const y = H - B - f * ph;
      box.append(svg('line', { x1: L, y1: y, x2: W, y2: y, class: 'grid' }));
      box.append(svg('text', { x: L - 4, y: y + 4, class: 'ylabel' }, String(Math.round(f * max))));
    }
    counts.forEach((n, i) => {
      const bh = (n / max) * ph;
      const t = new Date(start + i * 3600e3);
      const r = svg('rect', { x: L + i * bw, y: H - B - bh, width: Math.max(1, bw - 1), height: bh, class: 'bar' });
      r.append(svg('title', {}, `${t.toLocaleString()}: ${n} attack${n === 1 ? '' : 's'}`));
      box.append(r);
      if (t.getHours() === 0 || i === 0) {
        box.append(svg('line', { x1: L + i * bw, y1: T, x2: L + i * bw, y2: H - B, class: 'grid' }));
        box.append(svg('text', { x: L + i * bw + 2, y: H - 6, class: 'xlabel' },
          t.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' })));
      }
    });
    const total = counts.reduce((a, b) => a + b, 0);
    $('chart-caption').textContent = `Attacks per hour, last ${Math.round(counts.length / 24) || 7} days: ${total} in total, at most ${Math.max(0, ...counts)} in one hour.`;
    box.setAttribute('aria-label', $('chart-caption').textContent);
  }

  /* ---- general settings ---- */

  const FIELDS = () => Array.from(document.querySelectorAll('#general-form [data-key]'));

  function setField(f, v) {
    v = v ?? '';
    if (f.dataset.kind === 'bool') f.checked = /^(yes|true|on|1)$/i.test(v);
    else if (f.dataset.kind === 'rule') {
      const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(v);
      $('rule_count').value = m ? m[1] : '0';
      $('rule_window').value = m ? m[2] : '1m';
    } else if (f.dataset.kind === 'lines') f.value = v.split(',').map((s) => s.trim()).filter(Boolean).join('\n');
    else if (f.dataset.kind === 'protocols') {
      const u = /udp/i.test(v), t = /tcp/i.test(v);
      f.value = u && t ? 'udp, tcp' : t ? 'tcp' : 'udp';
    } else f.value = v;
  }

  function getField(f) {
    if (f.dataset.kind === 'bool') return f.checked ? 'yes' : 'no';
    if (f.dataset.kind === 'rule') return `${$('rule_count').value.trim()}/${$('rule_window').value.trim()}`;
    if (f.dataset.kind === 'lines') return f.value.split('\n').map((s) => s.trim()).filter(Boolean).join(', ');
    return f.value.trim();
  }

  function clearErrors(form) {
    for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
    for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
  }

  /* Shows msg next to the field with data-key key (or in the form status). */
  function fieldError(form, key, msg) {
    const f = key && form.querySelector(`[data-key="${CSS.escape(key)}"]`);
    const slot = f && $('err-' + f.id);
    if (!slot) return false;
    slot.textContent = msg;
    const input = f.dataset.kind === 'rule' ? $('rule_count') : f;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return true;
  }

  async function loadConfig() {
    const c = await api('GET', '/api/config');
    for (const f of FIELDS()) setField(f, c[f.dataset.key]);
    clearErrors($('general-form'));
  }

  async function onSave(ev) {
    ev.preventDefault();
    const form = $('general-form'), st = $('general-status');
    clearErrors(form);
    st.textContent = 'Saving…';
    const body = {};
    for (const f of FIELDS()) body[f.dataset.key] = getField(f);
    try {
      await api('PUT', '/api/config', body);
      st.textContent = 'Saved and applied.';
      await loadConfig();
    } catch (e) {
      st.textContent = e.status === 400 ? 'Not saved: please correct the marked field.' : 'Not saved: ' + e.message;
      if (!fieldError(form, e.field, e.message)) st.textContent = 'Not saved: ' + e.message;
    }
  }

  /* ---- whitelist & blacklist ---- */

  async function loadLists() {
    await Promise.all(['whitelist', 'blacklist'].map(loadList));
  }

  async function loadList(name) {
    const r = await api('GET', '/api/lists/' + name);
    const tb = $(name + '-table').tBodies[0];
    clear(tb);
    for (const e of r.entries || []) {
      const rm = el('button', { type: 'button', class: 'small', 'aria-label': `Remove ${e.address} from the ${name}`, text: 'Remove' });
      rm.addEventListener('click', () => removeListEntry(name, e.address));
      tb.append(el('tr', null, el('td', { text: e.address }), el('td', { text: e.comment || '' }),
        el('td', { text: e.source === 'config' ? 'config file' : fmtTime(e.added) }), el('td', null, rm)));
    }
    if (!tb.rows.length) tb.append(el('tr', null, el('td', { colspan: 4, class: 'empty', text: 'No entries.' })));
  }

  async function addListEntry(ev, name) {
    ev.preventDefault();
    const form = ev.target;
    clearErrors(form);
    const address = $(name + '-address').value.trim(), comment = $(name + '-comment').value.trim();
    try {
      await api('POST', '/api/lists/' + name, { address, comment });
      form.reset();
      toast(`${address} added to the ${name}.`);
      await loadList(name);
    } catch (e) {
      if (!fieldError(form, e.field === 'comment' ? 'comment' : 'address', e.message)) report(e);
    }
  }

  async function removeListEntry(name, address) {
    try {
      await api('DELETE', `/api/lists/${name}${qs({ address })}`);
      toast(`${address} removed from the ${name}.`);
      await loadList(name);
    } catch (e) { report(e); }
  }

  /* ---- notification recipients ---- */

  async function loadRecipients() {
    const r = await api('GET', '/api/recipients');
    const ul = $('recipients-list');
    clear(ul);
    for (const a of r.recipients || []) {
      const rm = el('button', { type: 'button', class: 'small', 'aria-label': `Remove recipient ${a}`, text: 'Remove' });
      rm.addEventListener('click', () => removeRecipient(a));
      ul.append(el('li', null, el('span', { text: a }), rm));
    }
    if (!ul.children.length) ul.append(el('li', { class: 'empty', text: 'No recipients: no mail is sent.' }));
  }

  async function addRecipient(ev) {
    ev.preventDefault();
    const form = ev.target;
    clearErrors(form);
    const address = $('recipient-address').value.trim();
    try {
      await api('POST', '/api/recipients', { address });
      form.reset();
      toast(`${address} added.`);
      await loadRecipients();
    } catch (e) {
      if (!fieldError(form, 'address', e.message)) report(e);
    }
  }

  async function removeRecipient(address) {
    try {
      await api('DELETE', '/api/recipients' + qs({ address }));
      toast(`${address} removed.`);
      await loadRecipients();
    } catch (e) { report(e); }
  }

  async function sendTest() {
    try {
      const r = await api('POST', '/api/notify/test');
      toast(r.message || 'Test mail queued.');
    } catch (e) { report(e); }
  }

  /* ---- blocked addresses ---- */

  async function loadBlocks() {
    const q = $('block-search').value.trim();
    const r = await api('GET', '/api/blocks' + qs({ q, limit: 500 }));
    const tb = $('blocks-table').tBodies[0];
    clear(tb);
    for (const b of r.blocks || []) {
      const un = el('button', { type: 'button', class: 'small', 'aria-label': `Unblock ${b.ip}`, text: 'Unblock' });
      un.addEventListener('click', () => unblock(b.ip));
      const left = b.permanent || !b.end ? 'permanent' : fmtDuration(Math.max(0, Math.round((new Date(b.end) - Date.now()) / 1000)));
      tb.append(el('tr', null, el('td', { text: b.ip }), el('td', { text: b.detector || '' }),
        el('td', { text: b.reason || '' }), el('td', { text: fmtTime(b.start) }), el('td', { text: left }), el('td', null, un)));
    }
    if (!tb.rows.length) tb.append(el('tr', null, el('td', { colspan: 6, class: 'empty', text: q ? 'No blocked address matches.' : 'No address is blocked.' })));
    const total = r.total ?? (r.blocks || []).length;
    $('blocks-count').textContent = `${(r.blocks || []).length} shown of ${total} blocked.`;
  }

  async function unblock(ip) {
    try {
      await api('DELETE', '/api/blocks/' + encodeURIComponent(ip));
      toast(`${ip} unblocked.`);
      await loadBlocks();
    } catch (e) { report(e); }
  }

  async function manualBlock(ev) {
    ev.preventDefault();
    const form = ev.target;
    clearErrors(form);
    const body = { address: $('block-address').value.trim(), duration: $('block-duration').value.trim(), reason: $('block-reason').value.trim() };
    try {
      await api('POST', '/api/blocks', body);
      toast(`${body.address} blocked.`);
      form.reset();
      await loadBlocks();
    } catch (e) {
      if (!fieldError(form, e.field === 'duration' ? 'duration' : e.field === 'reason' ? 'reason' : 'address', e.message)) report(e);
    }
  }

  /* ---- attack log ---- */

  function logFilters() {
    const since = $('log-since').value;
    return {
      detector: $('log-detector').value,
      ip: $('log-ip').value.trim(),
      since: since ? new Date(since).toISOString() : '',
    };
  }

  function eventKey(e) {
    return [e.time, e.event, e.ip, e.detector, e.reason].join('|');
  }

  function eventRow(e) {
    const what = e.event === 'block' ? `blocked for ${fmtDuration(e.duration_s) || '?'}` : e.event;
    return el('tr', { class: 'ev-' + (e.event || '') }, el('td', { text: fmtTime(e.time) }), el('td', { text: what }),
      el('td', { text: e.ip || '' }), el('td', { text: e.detector || '' }), el('td', { text: e.reason || '' }));
  }

  /* Reloads the table (fresh) or adds the events newer than the newest shown. */
  async function loadLog(fresh) {
    const f = logFilters();
    if (fresh) {
      state.logSeen = new Set();
      state.logNewest = null;
    } else if (state.logNewest && (!f.since || state.logNewest > f.since)) {
      f.since = state.logNewest;
    }
    const r = await api('GET', '/api/events' + qs({ ...f, limit: 200 }));
    const tb = $('log-table').tBodies[0];
    if (fresh) clear(tb);
    const rows = [];
    for (const e of r.events || []) {
      const k = eventKey(e);
      if (state.logSeen.has(k)) continue;
      state.logSeen.add(k);
      rows.push(eventRow(e));
      if (!state.logNewest || e.time > state.logNewest) state.logNewest = e.time;
    }
    const empty = tb.querySelector('.empty');
    if (rows.length && empty) empty.closest('tr').remove();
    tb.prepend(...rows);
    while (tb.rows.length > 1000) tb.deleteRow(-1);
    if (!tb.rows.length) tb.append(el('tr', null, el('td', { colspan: 5, class: 'empty', text: 'No events.' })));
    if (!fresh && rows.length) $('log-status').textContent = `${rows.length} new event${rows.length === 1 ? '' : 's'} at ${new Date().toLocaleTimeString()}.`;
  }

  /* ---- wiring ---- */

  function wire() {
    $('login-form').addEventListener('submit', onLogin);
    $('logout').addEventListener('click', onLogout);
    for (const t of TABS) {
      $('tab-' + t).addEventListener('click', () => selectTab(t, false));
      $('tab-' + t).addEventListener('keydown', onTabKey);
    }
    $('general-form').addEventListener('submit', onSave);
    $('general-reset').addEventListener('click', () => loadConfig().catch(report));
    $('whitelist-form').addEventListener('submit', (ev) => addListEntry(ev, 'whitelist'));
    $('blacklist-form').addEventListener('submit', (ev) => addListEntry(ev, 'blacklist'));
    $('recipient-form').addEventListener('submit', addRecipient);
    $('send-test').addEventListener('click', sendTest);
    $('block-form').addEventListener('submit', manualBlock);
    let searchTimer;
    $('block-search').addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => loadBlocks().catch(report), 250);
    });
    $('blocks-refresh').addEventListener('click', () => loadBlocks().catch(report));
    $('log-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadLog(true).catch(report); });
    const sel = $('log-detector');
    for (const d of DETECTORS) sel.append(el('option', { value: d, text: d.replace(/_/g, ' ') }));
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    boot();
  });
})();
