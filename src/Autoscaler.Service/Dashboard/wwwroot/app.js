// The autoscaler's dashboard: polls the service's own API (relative URLs, so it also works behind a path prefix)
// and draws each pool with uPlot. No framework and no build step: this file is served as written.
'use strict';

(function () {
  const ACTIONS = {
    scale_up: '▲ scale up',
    scale_down: '▼ scale down',
    dry_run: '◇ dry run',
    hold: '‖ hold',
    none: '· no change',
  };
  const CHANGES = new Set(['scale_up', 'scale_down', 'dry_run']);
  const COLORS = {
    requests: '#2b6cd4',
    cpu: '#d97706',
    latency: '#b42375',
    serving: '#1f9d55',
    booting: '#e0a100',
    draining: '#7b61c4',
    unhealthy: '#d64545',
    desired: '#2b6cd4',
    bound: '#98a2b3',
  };

  const credentials = { token: '', username: '', password: '' };
  let info = null;
  let polls = 0;
  const views = [];

  // ---- helpers ----

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') {
        node.className = v;
      } else if (k === 'dataset') {
        Object.assign(node.dataset, v);
      } else {
        node.setAttribute(k, v);
      }
    }
    for (const c of children) {
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  // The page's one time format: 24-hour local time, with the date in front when it is not today
  // ("14:02:07", "2026-12-06 23:58:10"). Takes an ISO string, milliseconds or a Date.
  function time(at, seconds = true) {
    const d = at instanceof Date ? at : new Date(at);
    const clock = pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
    return d.toDateString() === new Date().toDateString()
      ? clock
      : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
  }

  // The charts' time axis and cursor value in the same format (uPlot's own is 12-hour with am/pm); seconds only
  // when the ticks are closer than a minute.
  function timeTicks(u, splits, axisIdx, foundSpace, foundIncr) {
    return splits.map(v => time(v * 1000, foundIncr < 60));
  }

  const TIME_SERIES = { value: (u, v) => (v == null ? '–' : time(v * 1000)) };

  function number(v, digits) {
    return v == null ? '–' : Number(v).toLocaleString(undefined, { maximumFractionDigits: digits });
  }

  function usd(v) {
    return v == null ? '–' : '$' + Number(v).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
  }

  // "14:00:00 (in 12 min)", "release 13:57:00" when the engine keeps the member until then.
  function paidUntil(m) {
    if (!m.paid_until) {
      return '–';
    }
    const left = Math.max(0, Date.parse(m.paid_until) - Date.now()) / 1000;
    const rest = left >= 90 ? `${Math.round(left / 60)} min` : `${Math.round(left)} s`;
    const text = `${time(m.paid_until)} (in ${rest})`;
    return m.release_at ? `${text}, release ${time(m.release_at)}` : text;
  }

  function authHeaders() {
    if (!info || info.auth === 'none') {
      return {};
    }
    if (info.auth === 'bearer') {
      return credentials.token ? { Authorization: 'Bearer ' + credentials.token } : {};
    }
    if (credentials.username || credentials.password) {
      const bytes = new TextEncoder().encode(credentials.username + ':' + credentials.password);
      return { Authorization: 'Basic ' + btoa(String.fromCharCode(...bytes)) };
    }
    return {};
  }

  // credentials 'omit': a 401 must come back to the page as an answer, never as the browser's login prompt.
  async function getJson(path) {
    // The API's credentials go with reads too: with api.auth_reads the service asks for them.
    const response = await fetch(path, { cache: 'no-store', credentials: 'omit', headers: { Accept: 'application/json', ...authHeaders() } });
    if (!response.ok) {
      throw new Error(`${path}: HTTP ${response.status}`);
    }
    return response.json();
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      cache: 'no-store',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authHeaders() },
      body: JSON.stringify(body),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch {
      // An answer without a JSON body: the status says enough.
    }
    return { ok: response.ok, status: response.status, body: answer };
  }

  function refusal(result) {
    const why = result.body.error || `HTTP ${result.status}`;
    if (result.status === 401) {
      return `Not allowed: ${why}. Enter the API credentials at the top of the page.`;
    }
    return why;
  }

  // ---- charts ----

  // Vertical marks where the engine changed (or would have changed, in dry run) the desired size.
  function decisionMarks(view) {
    return {
      hooks: {
        draw: [u => {
          const ctx = u.ctx;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.lineWidth = Math.max(1, devicePixelRatio);
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          for (const d of view.marks) {
            const x = Math.round(u.valToPos(d.t, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) {
              continue;
            }
            ctx.strokeStyle = d.action === 'scale_up' ? COLORS.serving : d.action === 'scale_down' ? '#c2410c' : COLORS.draining;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
          }
          ctx.restore();
        }],
      },
    };
  }

  function lineSeries(label, color, fill) {
    return { label, stroke: color, width: 2, fill: fill ? color + '22' : undefined, spanGaps: false, points: { show: false } };
  }

  // Without the cursor on the plot, the legend shows the latest sample rather than dashes.
  const latestInLegend = {
    hooks: {
      setCursor: [u => {
        if (u.cursor.idx == null && u.data[0].length > 0) {
          u.setLegend({ idx: u.data[0].length - 1 }, false);
        }
      }],
      setData: [u => {
        if (u.cursor.idx == null && u.data[0].length > 0) {
          u.setLegend({ idx: u.data[0].length - 1 }, false);
        }
      }],
    },
  };

  function latencyTicks(u, splits) {
    return splits.map(v => v >= 1000 ? (v / 1000).toLocaleString(undefined, { maximumFractionDigits: 1 }) + ' s' : v.toLocaleString() + ' ms');
  }

  function chartOptions(kind, view, width) {
    const stepped = uPlot.paths.stepped({ align: 1 });
    const base = {
      width,
      height: 200,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      plugins: [latestInLegend],
      scales: { x: { time: true } },
      axes: [{ values: timeTicks }, { size: 56 }],
    };
    switch (kind) {
      case 'requests':
        return { ...base, series: [TIME_SERIES, lineSeries('req/s', COLORS.requests, true), { ...lineSeries('forecast', '#e08a00', false), dash: [6, 4] }], scales: { ...base.scales, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } } };
      case 'cpu':
        return { ...base, series: [TIME_SERIES, lineSeries('CPU %', COLORS.cpu, true)], scales: { ...base.scales, y: { range: (u, min, max) => [0, Math.max(100, max)] } } };
      case 'latency':
        return {
          ...base,
          axes: [{ values: timeTicks }, { size: 64, values: latencyTicks }],
          series: [TIME_SERIES, lineSeries('p95 ms', COLORS.latency, true)],
          scales: { ...base.scales, y: { range: (u, min, max) => [0, Math.max(10, max * 1.1)] } },
        };
      default: {
        // Stacked: each state's band sits on the one below, so the top edge is every member the pool has; the
        // legend shows each state's own count.
        const raw = i => [null, view.series.serving, view.series.booting, view.series.draining, view.series.unhealthy][i];
        const own = (u, v, si, i) => (i == null || raw(si)[i] == null ? '–' : raw(si)[i]);
        const stacked = (label, color, lineWidth) => ({ label, stroke: color, fill: color + '40', width: lineWidth, paths: stepped, points: { show: false }, value: own });
        return {
          ...base,
          plugins: [latestInLegend, decisionMarks(view)],
          scales: { ...base.scales, y: { range: (u, min, max) => [0, Math.max(2, max + 1)] } },
          axes: [{ values: timeTicks }, { size: 40, incrs: [1, 2, 5, 10, 20, 50, 100], values: (u, splits) => splits.map(v => v.toFixed(0)) }],
          bands: [{ series: [2, 1] }, { series: [3, 2] }, { series: [4, 3] }],
          series: [
            TIME_SERIES,
            stacked('serving', COLORS.serving, 1.5),
            stacked('booting', COLORS.booting, 0),
            stacked('draining', COLORS.draining, 0),
            stacked('unhealthy', COLORS.unhealthy, 0),
            { label: 'desired', stroke: COLORS.desired, width: 2, dash: [6, 4], paths: stepped, points: { show: false } },
            { label: 'min', stroke: COLORS.bound, width: 1.5, dash: [2, 3], paths: stepped, points: { show: false } },
            { label: 'max', stroke: COLORS.bound, width: 1.5, dash: [2, 3], paths: stepped, points: { show: false } },
          ],
        };
      }
    }
  }

  function stack(d) {
    const booting = [];
    const draining = [];
    const unhealthy = [];
    for (let i = 0; i < d.t.length; i++) {
      booting.push(d.serving[i] + d.booting[i]);
      draining.push(booting[i] + d.draining[i]);
      unhealthy.push(draining[i] + d.unhealthy[i]);
    }
    return [d.t, d.serving, booting, draining, unhealthy, d.desired, d.min, d.max];
  }

  // ---- one pool ----

  class PoolView {
    constructor(pool) {
      this.pool = pool;
      this.name = pool.pool;
      this.last = null;
      this.series = { t: [], requests: [], cpu: [], latency_p95_ms: [], serving: [], booting: [], draining: [], unhealthy: [], desired: [], min: [], max: [] };
      this.missing = null;
      this.marks = [];
      this.decisionsKey = '';
      this.bounds = { min: pool.min, max: pool.max };
      this.switching = false;

      const root = document.getElementById('pool-template').content.firstElementChild.cloneNode(true);
      root.dataset.pool = this.name;
      root.id = 'pool-' + this.name;
      this.root = root;
      root.querySelector('.pool-name').textContent = this.name;
      this.message = root.querySelector('.message');
      this.input = root.querySelector('.desired-input');
      this.form = root.querySelector('.scale-form');
      this.dryRun = root.querySelector('.dry-run-switch');
      this.changesOnly = root.querySelector('.changes-only');
      this.charts = {};
      for (const fig of root.querySelectorAll('.chart')) {
        const kind = fig.dataset.chart;
        const known = kind === 'instances' || (kind === 'latency' ? pool.latency_p95 : pool[kind]);
        fig.dataset.points = '0';
        if (!known) {
          const key = kind === 'latency' ? 'latency_p95' : kind;
          fig.classList.add('unknown');
          fig.querySelector('.note').textContent = `not known: give pools.${this.name}.dashboard.${key} a PromQL query`;
        }
        this.charts[kind] = { fig, plot: null, known };
      }

      this.form.addEventListener('submit', e => {
        e.preventDefault();
        this.setSize();
      });
      this.dryRun.addEventListener('change', () => this.switchDryRun());
      this.changesOnly.addEventListener('change', () => {
        this.decisionsKey = '';
        this.renderDecisions(this.lastEvents || []);
      });
    }

    say(kind, text) {
      this.message.className = 'message ' + kind;
      this.message.textContent = text;
    }

    async setSize() {
      const raw = this.input.value.trim();
      if (!/^\d+$/.test(raw)) {
        this.say('error', 'Enter a whole number of instances.');
        return;
      }
      const desired = Number(raw);
      const { min, max } = this.bounds;
      if (desired < min || desired > max) {
        this.say('error', `Desired must be between ${min} and ${max} (min..max of pool ${this.name}); got ${desired}.`);
        return;
      }
      const button = this.form.querySelector('button');
      button.disabled = true;
      try {
        const result = await postJson(`api/v1/pools/${encodeURIComponent(this.name)}/scale`, { desired });
        if (result.ok) {
          this.say('ok', `Desired size set to ${result.body.desired} (was ${result.body.previous_desired}).`);
          await this.refresh();
        } else {
          this.say('error', refusal(result));
        }
      } catch (err) {
        this.say('error', 'Cannot reach the service: ' + err.message);
      } finally {
        button.disabled = false;
      }
    }

    async switchDryRun() {
      const wanted = this.dryRun.checked;
      this.switching = true;
      this.dryRun.disabled = true;
      try {
        const result = await postJson(`api/v1/pools/${encodeURIComponent(this.name)}/dry_run`, { dry_run: wanted });
        if (result.ok) {
          this.say('ok', result.body.dry_run ? 'Dry run on: decisions are recorded, not acted on.' : 'Dry run off: the autoscaler acts on its decisions.');
          this.showDryRun(result.body.dry_run);
        } else {
          this.dryRun.checked = !wanted;
          this.say('error', refusal(result));
        }
      } catch (err) {
        this.dryRun.checked = !wanted;
        this.say('error', 'Cannot reach the service: ' + err.message);
      } finally {
        this.switching = false;
        this.dryRun.disabled = false;
      }
    }

    showDryRun(on) {
      this.root.querySelector('.dry-run-badge').hidden = !on;
      this.root.dataset.dryRun = String(on);
      if (!this.switching) {
        this.dryRun.checked = on;
      }
    }

    async refresh() {
      const name = encodeURIComponent(this.name);
      const since = this.last == null ? '' : '?since=' + this.last;
      const [series, status, events] = await Promise.all([
        getJson(`api/v1/dashboard/pools/${name}/series${since}`),
        getJson(`api/v1/pools/${name}`),
        getJson(`api/v1/events?pool=${name}&limit=200`),
      ]);
      this.addSeries(series);
      this.renderStatus(status);
      this.renderDecisions(events.events);
      this.renderCharts();
    }

    addSeries(s) {
      const data = this.series;
      for (let i = 0; i < s.t.length; i++) {
        for (const key of Object.keys(data)) {
          data[key].push(s[key][i]);
        }
      }
      if (s.t.length > 0) {
        this.last = Math.round(s.t[s.t.length - 1] * 1000);
        this.missing = s.missing || null;
      }
      // The page keeps what the service keeps.
      const oldest = Date.now() / 1000 - info.history_ms / 1000;
      let drop = 0;
      while (drop < data.t.length && data.t[drop] < oldest) {
        drop++;
      }
      if (drop > 0) {
        for (const key of Object.keys(data)) {
          data[key].splice(0, drop);
        }
      }
    }

    renderStatus(s) {
      const stat = k => this.root.querySelector(`[data-stat="${k}"]`);
      const min = s.last_decision ? s.last_decision.min : s.min;
      const max = s.last_decision ? s.last_decision.max : s.max;
      this.bounds = { min, max };
      stat('desired').textContent = s.desired == null ? '–' : s.desired;
      stat('serving').textContent = s.serving;
      stat('booting').textContent = s.launching;
      stat('draining').textContent = s.removing;
      stat('kept').textContent = s.kept ?? 0;
      stat('bounds').textContent = `${min}..${max}`;
      const now = Date.now();
      const cooldowns = [];
      if (s.scale_up_cooldown_until && Date.parse(s.scale_up_cooldown_until) > now) {
        cooldowns.push('up until ' + time(s.scale_up_cooldown_until));
      }
      if (s.scale_down_cooldown_until && Date.parse(s.scale_down_cooldown_until) > now) {
        cooldowns.push('down until ' + time(s.scale_down_cooldown_until));
      }
      stat('cooldown').textContent = cooldowns.length ? cooldowns.join(', ') : '–';
      stat('billed').textContent = usd(s.billed_cost_usd);
      const projected = stat('projected');
      projected.textContent = usd(s.projected_cost_usd) + (s.budget_usd != null ? ` of ${usd(s.budget_usd)}` : '');
      projected.classList.toggle('over-budget', s.budget_usd != null && s.projected_cost_usd != null && s.projected_cost_usd > s.budget_usd);
      this.input.min = String(min);
      this.input.max = String(max);
      this.input.placeholder = `${min}..${max}`;
      this.showDryRun(s.dry_run);

      const body = this.root.querySelector('.members tbody');
      body.replaceChildren(...s.members.map(m => el('tr', {},
        el('td', {}, m.label),
        el('td', {}, m.lifecycle),
        el('td', {}, m.state),
        el('td', {}, m.node_status ? `${m.node_status} / ${m.node_mode}` : '–'),
        el('td', {}, m.address || '–'),
        el('td', {}, time(m.created_at)),
        el('td', {}, paidUntil(m)))));
      this.root.querySelector('.member-count').textContent = `(${s.members.length})`;
    }

    renderDecisions(events) {
      this.lastEvents = events;
      const decisions = events.filter(e => e.type === 'decision').map(e => e.decision);
      this.marks = decisions.filter(d => CHANGES.has(d.action)).map(d => ({ t: Date.parse(d.at) / 1000, action: d.action }));
      const shown = this.changesOnly.checked ? decisions.filter(d => CHANGES.has(d.action)) : decisions;
      const key = shown.map(d => d.at + d.action + d.desired).join('|');
      if (key === this.decisionsKey) {
        return;
      }
      this.decisionsKey = key;
      const list = this.root.querySelector('.timeline');
      list.replaceChildren(...shown.slice(0, 100).map(d => {
        const reason = el('span', { class: 'reason' });
        if (d.previous_desired !== d.desired) {
          reason.append(el('span', { class: 'change' }, `${d.previous_desired} → ${d.desired}`));
        }
        reason.append(d.reason || '');
        if (d.skip && d.action === 'hold') {
          reason.append(el('span', { class: 'alert-meta' }, ` (${d.skip.replaceAll('_', ' ')})`));
        }
        return el('li', { class: 'decision', dataset: { action: d.action } },
          el('time', { datetime: d.at }, time(d.at)),
          el('span', { class: 'action ' + d.action }, ACTIONS[d.action] || d.action),
          reason);
      }));
      this.root.querySelector('.timeline-empty').hidden = shown.length > 0;
    }

    renderAlerts(alerts) {
      const mine = alerts.filter(a => a.pool === this.name);
      const list = this.root.querySelector('.alerts');
      list.replaceChildren(...mine.map(a => {
        const summary = a.annotations.summary || a.annotations.description || '';
        const labels = Object.entries(a.labels).filter(([k]) => k !== 'alertname' && k !== 'pool').map(([k, v]) => `${k}=${v}`).join(', ');
        return el('li', { class: 'alert', dataset: { fingerprint: a.fingerprint } },
          el('span', { class: 'alert-name' }, a.alertname || '(no alertname)'),
          summary ? el('div', {}, summary) : '',
          el('div', { class: 'alert-meta' }, `since ${time(a.starts_at)}` + (labels ? ' · ' + labels : '')));
      }));
      this.root.querySelector('.alerts-empty').hidden = mine.length > 0;
    }

    renderCharts() {
      const d = this.series;
      const columns = {
        // A forecast signal's forecast for each moment, over the actual load (empty without one).
        requests: [d.t, d.requests, d.forecast && d.forecast.length === d.t.length ? d.forecast : d.t.map(() => null)],
        cpu: [d.t, d.cpu],
        latency: [d.t, d.latency_p95_ms],
        instances: stack(d),
      };
      const units = { requests: ' req/s', cpu: ' %', latency: ' ms' };
      const keys = { requests: 'requests', cpu: 'cpu', latency: 'latency_p95' };
      for (const [kind, chart] of Object.entries(this.charts)) {
        if (!chart.known) {
          continue;
        }
        const data = columns[kind];
        const holder = chart.fig.querySelector('.plot');
        if (!chart.plot) {
          chart.plot = new uPlot(chartOptions(kind, this, Math.max(300, holder.clientWidth)), data, holder);
        } else {
          chart.plot.setData(data);
        }
        const values = data[1].filter(v => v != null);
        chart.fig.dataset.points = String(values.length);
        const note = chart.fig.querySelector('.note');
        if (kind === 'instances') {
          const i = d.t.length - 1;
          note.textContent = i < 0 ? 'waiting for the first sample' : `now ${d.serving[i]} serving, ${d.booting[i]} booting, ${d.draining[i]} draining; desired ${d.desired[i] ?? '–'} (min ${d.min[i]}, max ${d.max[i]})`;
        } else {
          const latest = data[1].length ? data[1][data[1].length - 1] : null;
          const missing = this.missing && this.missing[keys[kind]];
          note.textContent = latest != null
            ? `now ${number(latest, 1)}${units[kind]}`
            : missing ? `no value: ${missing}` : 'waiting for the first sample';
        }
      }
    }

    resize() {
      for (const chart of Object.values(this.charts)) {
        if (chart.plot) {
          const width = Math.max(300, chart.fig.querySelector('.plot').clientWidth);
          chart.plot.setSize({ width, height: 200 });
        }
      }
    }
  }

  // ---- page ----

  function setupCredentials() {
    const form = document.getElementById('credentials');
    if (info.auth === 'none') {
      return;
    }
    form.hidden = false;
    for (const label of form.querySelectorAll('[data-auth]')) {
      label.hidden = label.dataset.auth !== info.auth;
    }
    form.addEventListener('submit', e => e.preventDefault());
    form.addEventListener('input', () => {
      credentials.token = form.elements.token.value.trim();
      credentials.username = form.elements.username.value;
      credentials.password = form.elements.password.value;
    });
  }

  function connection(kind, text) {
    const node = document.getElementById('connection');
    node.className = 'connection ' + kind;
    node.textContent = text;
  }

  async function poll() {
    try {
      const [alerts] = await Promise.all([getJson('api/v1/alerts'), ...views.map(v => v.refresh())]);
      for (const v of views) {
        v.renderAlerts(alerts.alerts);
      }
      polls++;
      document.body.dataset.polls = String(polls);
      connection('ok', 'live · updated ' + time(new Date()));
    } catch (err) {
      connection('error', `cannot reach the service (${err.message}); retrying`);
    } finally {
      setTimeout(poll, info.poll_ms);
    }
  }

  async function start() {
    try {
      info = await getJson('api/v1/dashboard');
    } catch (err) {
      const fatal = document.getElementById('fatal');
      fatal.hidden = false;
      fatal.textContent = 'The dashboard cannot load its configuration: ' + err.message;
      return;
    }
    setupCredentials();
    const main = document.getElementById('pools');
    for (const pool of info.pools) {
      const view = new PoolView(pool);
      views.push(view);
      main.append(view.root);
    }
    main.setAttribute('aria-busy', 'false');
    let resizing = 0;
    window.addEventListener('resize', () => {
      cancelAnimationFrame(resizing);
      resizing = requestAnimationFrame(() => views.forEach(v => v.resize()));
    });
    poll();
  }

  start();
})();
