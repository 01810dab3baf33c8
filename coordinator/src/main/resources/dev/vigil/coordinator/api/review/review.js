// The review page: per VIP, a band per node for the time it held the VIP, with markers for incidents,
// tracker failures and priority changes. Plain JS, no build step. The pure part (bands, markers) is
// exported for tests under Node; the rest draws SVG and talks to the audit API with a read token.
'use strict';

/** Holder intervals per VIP over [from, to] from the state at `from` and the moves in the window. */
function bands(state, moves, from, to) {
  const t0 = Date.parse(from), t1 = Date.parse(to);
  const byVip = new Map();
  for (const r of state.routers) {
    for (const [addr, agent] of Object.entries(r.vipOwners)) {
      byVip.set(r.cluster + '/' + r.vrid + ' ' + addr, [{ agent, start: t0, end: t1 }]);
    }
  }
  for (const m of moves) {
    for (const addr of m.addresses) {
      const key = m.cluster + '/' + m.vrid + ' ' + addr;
      const list = byVip.get(key) || [];
      const at = Date.parse(m.at);
      const last = list[list.length - 1];
      const gap = m.gapMs === undefined ? 0 : Math.max(0, m.gapMs);
      if (last) {
        last.end = Math.min(last.end, at - gap);
      } else {
        list.push({ agent: m.from, start: t0, end: at - gap });
      }
      list.push({ agent: m.to, start: at, end: t1 });
      byVip.set(key, list);
    }
  }
  return [...byVip.entries()].map(([vip, intervals]) => ({ vip, intervals: intervals.filter(i => i.end >= i.start) }));
}

/** Markers: incidents (with their event ids), tracker failures and priority changes (one event each). */
function markers(incidents, events, cluster) {
  const out = [];
  for (const i of incidents) {
    out.push({ kind: 'incident', label: i.kind, at: Date.parse(i.at), until: i.until ? Date.parse(i.until) : undefined,
               agent: null, text: i.kind + ': ' + i.detail, eventIds: i.events, incident: i });
  }
  for (const e of events) {
    const env = e.envelope;
    if (env.cluster !== cluster) continue;
    if (env.type === 'TrackerResultChanged' && !env.fact.healthy) {
      out.push({ kind: 'tracker', label: env.fact.tracker, at: Date.parse(env.time), agent: env.agentId,
                 text: env.agentId + ' tracker ' + env.fact.tracker + ' FAILED: ' + env.fact.detail, eventIds: [e.id] });
    } else if (env.type === 'PriorityChanged') {
      out.push({ kind: 'priority', label: env.fact.from + '→' + env.fact.to, at: Date.parse(env.time), agent: env.agentId,
                 text: env.agentId + ' priority ' + env.fact.from + ' -> ' + env.fact.to + ' (' + env.fact.tracker + ')',
                 eventIds: [e.id] });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

if (typeof module !== 'undefined') {
  module.exports = { bands, markers };
} else {
  const $ = id => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948'];
  const params = new URLSearchParams(location.search);
  for (const k of ['cluster', 'from', 'to']) if (params.get(k)) $(k).value = params.get(k);
  $('token').value = sessionStorage.getItem('vigil-read-token') || '';

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: 'Bearer ' + $('token').value } });
    const body = await r.json();
    if (!r.ok) throw new Error(r.status + ': ' + body.message + (body.parameter ? ' (' + body.parameter + ')' : ''));
    return body;
  }

  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function show(m) {
    const lines = [m.text];
    for (const id of m.eventIds) {
      const e = await api('/v1/events/' + id);
      lines.push('event ' + id + ' ' + e.envelope.time + ' ' + e.agentId + ' ' + e.envelope.type
                 + (e.envelope.fact.cause ? ': ' + e.envelope.fact.cause : ''));
    }
    $('detail').textContent = lines.join('\n');
    $('detail').dataset.eventIds = m.eventIds.join(',');
    if (m.incident) {
      const zoom = document.createElement('button');
      zoom.id = 'zoom';
      zoom.textContent = 'Zoom into this incident';
      zoom.onclick = () => {
        const s = Date.parse(m.incident.at), e = m.incident.until ? Date.parse(m.incident.until) : s;
        const pad = Math.max(1000, (e - s) * 2);
        $('from').value = new Date(s - pad).toISOString();
        $('to').value = new Date(e + pad).toISOString();
        load();
      };
      $('detail').appendChild(document.createElement('br'));
      $('detail').appendChild(zoom);
    }
  }

  async function load() {
    $('error').textContent = '';
    sessionStorage.setItem('vigil-read-token', $('token').value);
    const q = 'cluster=' + encodeURIComponent($('cluster').value) + '&from=' + encodeURIComponent($('from').value)
              + '&to=' + encodeURIComponent($('to').value);
    const window = '&from=' + encodeURIComponent($('from').value) + '&to=' + encodeURIComponent($('to').value);
    try {
      const [state, moves, incidents, trackers, priorities] = await Promise.all([
        api('/v1/state?at=' + encodeURIComponent($('from').value) + '&cluster=' + encodeURIComponent($('cluster').value)),
        api('/v1/moves?' + q), api('/v1/incidents?' + q),
        api('/v1/events?type=TrackerResultChanged&limit=1000' + window),
        api('/v1/events?type=PriorityChanged&limit=1000' + window)]);
      draw(bands(state, moves.moves, $('from').value, $('to').value),
           markers(incidents.incidents, trackers.events.concat(priorities.events), $('cluster').value));
    } catch (e) {
      $('error').textContent = String(e.message || e);
    }
  }

  function draw(vips, marks) {
    const svg = $('chart');
    svg.replaceChildren();
    const t0 = Date.parse($('from').value), t1 = Date.parse($('to').value);
    const left = 170, width = 1100 - left - 20, lane = 18;
    const x = t => left + (Math.min(Math.max(t, t0), t1) - t0) / Math.max(1, t1 - t0) * width;
    const agents = [...new Set(vips.flatMap(v => v.intervals.map(i => i.agent)).concat(marks.filter(m => m.agent).map(m => m.agent)))].sort();
    let y = 10;
    const markerRow = y;
    svg.appendChild(el('text', { x: 4, y: y + 12 }, 'incidents'));
    y += lane + 6;
    const laneOf = {};
    for (const v of vips) {
      svg.appendChild(el('text', { x: 4, y: y + 12, 'font-weight': 'bold' }, v.vip));
      y += lane;
      for (const a of agents) {
        laneOf[v.vip + ' ' + a] = y;
        svg.appendChild(el('text', { x: 14, y: y + 12 }, a));
        for (const i of v.intervals.filter(i => i.agent === a)) {
          svg.appendChild(el('rect', { class: 'band', 'data-agent': a, 'data-vip': v.vip, x: x(i.start), y: y + 2,
            width: Math.max(1, x(i.end) - x(i.start)), height: lane - 4, fill: COLOURS[agents.indexOf(a) % COLOURS.length] }));
        }
        y += lane;
      }
      y += 6;
    }
    for (const m of marks) {
      const my = m.kind === 'incident' ? markerRow : (laneOf[(vips[0] || {}).vip + ' ' + m.agent] || markerRow);
      const shape = m.kind === 'incident'
        ? el('rect', { x: x(m.at), y: my + 2, width: Math.max(6, x(m.until || m.at) - x(m.at)), height: lane - 4, fill: '#e15759' })
        : el('circle', { cx: x(m.at), cy: my + lane / 2, r: 5, fill: m.kind === 'tracker' ? '#ff9d00' : '#1f77b4', stroke: '#000' });
      shape.setAttribute('class', 'marker ' + m.kind);
      shape.setAttribute('data-event-ids', m.eventIds.join(','));
      shape.appendChild(el('title', {}, m.text));
      shape.addEventListener('click', () => show(m).catch(e => { $('error').textContent = String(e.message || e); }));
      svg.appendChild(shape);
    }
    svg.appendChild(el('text', { x: left, y: y + 12 }, new Date(t0).toISOString()));
    svg.appendChild(el('text', { x: left + width - 150, y: y + 12 }, new Date(t1).toISOString()));
    svg.setAttribute('height', y + 24);
  }

  $('query').addEventListener('submit', ev => { ev.preventDefault(); load(); });
  if ($('token').value && $('from').value && $('to').value) load();
}
