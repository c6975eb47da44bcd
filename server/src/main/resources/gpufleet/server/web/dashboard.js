/*
 * The gpufleet dashboard: fleet heatmap, jobs, one job, teams, scheduler queue. It reads the
 * controller's JSON API and redraws when the controller's event stream (/api/v1/events) says
 * something changed, so a drained host or a restarted job shows within a second or so, without a
 * reload. Each page has its own URL; the controller answers every one with the same index.html.
 *
 * A page draws its frame once (headings, filters, empty containers) and then only refills the
 * containers, so focus, typed filters and scroll survive the redraws that events cause. Times are
 * <time> elements that the shared script (gpufleet.js) shows in the viewer's zone, UTC on hover.
 */
(function () {
  'use strict';
  var gf = window.gpufleet;
  var main = document.getElementById('main');
  var live = document.getElementById('live');

  /** Beyond this many hosts the heatmap draws one cell per rack: a DOM cell per host stops being cheap. */
  var RACK_MODE_HOSTS = 6000;
  /** Ranks whose log tails the job page lists; any other rank through the rank box. */
  var LISTED_RANKS = 32;
  var TAIL_BYTES = 16384;
  var WAITING = ['PENDING', 'RESTARTING', 'PREEMPTED'];
  var STATES = ['PENDING', 'RUNNING', 'RESTARTING', 'PREEMPTED', 'COMPLETED', 'FAILED', 'CANCELLED'];
  var HOST_STATES = ['busy', 'free', 'draining', 'unhealthy', 'down'];
  var HOST_STATE_TEXT = {
    busy: 'running work', free: 'can take work', draining: 'takes no new work',
    unhealthy: 'a GPU reported an error', down: 'agent silent'
  };

  // ---- small helpers ----------------------------------------------------------------------------

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // who is signed in (GET /api/v1/whoami): decides which buttons a page offers and which reads it makes
  var me = null;
  function isAdmin() { return me && (me.authentication === false || String(me.role).toUpperCase() === 'ADMIN'); }
  function mayActFor(team) {
    return isAdmin() || (me && String(me.role).toUpperCase() === 'MEMBER' && me.team === team);
  }

  // the message of the controller's error body, {"error": {"code", "message", "field"}}
  function errorMessage(body) {
    return body && body.error && typeof body.error === 'object' ? body.error.message : undefined;
  }

  function get(path, kind) {
    return fetch(path, {headers: {Accept: kind === 'text' ? 'text/html' : 'application/json'}}).then(function (r) {
      if (!r.ok) {
        return r.text().then(function (t) {
          var msg = t;
          try { msg = errorMessage(JSON.parse(t)) || t; } catch (e) { /* not JSON */ }
          var err = new Error(msg);
          err.status = r.status;
          // the session ended (its token was revoked or expired): ask for a token again
          if (r.status === 401 && signedIn) signInForm(msg);
          throw err;
        });
      }
      return kind === 'text' ? r.text() : r.json();
    });
  }

  function time(sec) {
    if (sec === null || sec === undefined) return '<span class="muted">–</span>';
    var d = new Date(sec * 1000);
    return '<time datetime="' + d.toISOString() + '">' + esc(gf.utc(d)) + '</time>';
  }

  /** A time in a table row: the clock alone today, the date and clock before; the full time on hover. */
  function shortTime(sec) {
    if (sec === null || sec === undefined) return '<span class="muted">–</span>';
    var d = new Date(sec * 1000);
    return '<time datetime="' + d.toISOString() + '" data-short>' + esc(gf.utc(d)) + '</time>';
  }

  /** A waiting job's expected start from the controller's forecast (the scheduler run forward). */
  function expectedStart(j, t) {
    switch (j.startOutcome) {
      case 'STARTS': return j.expectedStart <= t + 1 ? 'now' : shortTime(j.expectedStart) + ' (in ' + dur(j.expectedStart - t) + ')';
      case 'NO_ESTIMATE': return 'unknown: waits on jobs without a time limit';
      case 'BEYOND_HORIZON': return 'not within 7 days';
      case 'NEVER': return 'never, as the fleet is now';
      default: return '<span class="muted">–</span>';
    }
  }

  var PRIORITIES = {0: 'low', 1: 'normal', 2: 'high', 3: 'critical'};
  function priorityName(p) {
    return PRIORITIES[p] || 'priority ' + p;
  }

  function gpus(n) { return plural(n, 'GPU'); }

  /** GPU-hours with the digits a small figure needs: 0.047, not 0. */
  function hours(h) {
    if (h === null || h === undefined || !isFinite(h)) return '–';
    if (h === 0) return '0';
    if (Math.abs(h) < 10) return Number(h.toPrecision(2)).toLocaleString('en-US', {maximumSignificantDigits: 2});
    return num(h);
  }

  /** A tile's colour from its value: fine, worth a look, bad. */
  function level(bad, warn) { return bad ? 'vermillion' : warn ? 'orange' : 'green'; }

  function dur(sec) {
    if (sec === null || sec === undefined || !isFinite(sec)) return '–';
    if (sec < 0) sec = 0;
    if (sec < 59.95) return (Math.round(sec * 10) / 10) + ' s';
    if (sec < 3597) return (Math.round(sec / 6) / 10) + ' min';
    if (sec < 86220) return (Math.round(sec / 360) / 10) + ' h';
    return (Math.round(sec / 8640) / 10) + ' d';
  }

  function pct(x) {
    return x === null || x === undefined || !isFinite(x) ? '–' : (Math.round(x * 1000) / 10) + '%';
  }

  function num(n) {
    return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US', {maximumFractionDigits: 1});
  }

  function usd(x) {
    if (!isFinite(x)) return '–';
    if (x >= 1e6) return '$' + (Math.round(x / 1e5) / 10) + 'M';
    if (x >= 1e4) return '$' + (Math.round(x / 100) / 10) + 'k';
    return '$' + x.toFixed(2);
  }

  function badge(state) {
    var s = String(state || '').toLowerCase();
    return '<span class="badge ' + esc(s) + '">' + esc(s) + '</span>';
  }

  function now() { return Date.now() / 1000; }

  function plural(n, one, many) {
    return num(n) + ' ' + (n === 1 ? one : (many || one + 's'));
  }

  function card(key, value, sub, accent, id) {
    return '<div class="card"' + (id ? ' id="' + id + '"' : '') + ' style="--accent:var(--' + accent + ')">' +
      '<div class="k">' + esc(key) + '</div><div class="v">' + esc(value) + '</div><div class="s">' + esc(sub) + '</div></div>';
  }

  function jobLink(id, text) {
    return '<a href="/jobs/' + id + '" data-key="job-' + id + '">' + esc(text === undefined ? '#' + id : text) + '</a>';
  }

  /**
   * Runs fill(), which replaces some markup, and gives focus back to the element that had it, found
   * again by its data-key (or, for a table header, by table and column).
   */
  function keepFocus(fill) {
    var a = document.activeElement;
    var key = a && a.getAttribute && a.getAttribute('data-key');
    var th = a && a.closest && a.closest('th');
    var table = th && th.closest('table');
    var col = th ? th.cellIndex : -1;
    var tableId = table && table.id;
    fill();
    gf.enhance(main);
    if (document.activeElement && document.activeElement !== document.body && main.contains(document.activeElement)) return;
    var again = null;
    if (key) again = main.querySelector('[data-key="' + key + '"]');
    else if (tableId && col >= 0) {
      var t = document.getElementById(tableId);
      var cell = t && t.tHead && t.tHead.rows[0].cells[col];
      again = cell && cell.querySelector('button');
    }
    if (again) again.focus();
  }

  function setHtml(id, html) {
    var el = document.getElementById(id);
    if (el) el.innerHTML = html;
  }

  /*
   * Stale data: when the controller stops answering, what the page shows is what it last knew. It says
   * since when, and greys its figures, until a read succeeds again.
   */
  var staleSince = null;

  function failed(err) {
    var box = document.getElementById('problem');
    var unreachable = !err.status || err.status >= 500;
    if (unreachable) {
      if (staleSince === null) staleSince = new Date();
      main.classList.add('stale');
      live.textContent = 'stale';
      live.className = 'live off';
    }
    if (box) box.textContent = err.status === 404 ? 'Not found: ' + err.message
      : unreachable ? 'Stale since ' + gf.short(staleSince) + ': the controller did not answer (' + err.message + '). ' +
        'The figures below are what it last said.'
      : 'Could not load: ' + err.message;
  }

  function fresh() {
    if (staleSince === null) return;
    staleSince = null;
    main.classList.remove('stale');
    if (es) { live.textContent = 'live'; live.className = 'live on'; }
  }

  /** "POST /api/v1/hosts/a/drain" as a person says it: "drained". */
  function actionWord(action) {
    var m = /\/(drain|resume|cancel)$/.exec(action || '');
    return m ? {drain: 'drained', resume: 'resumed', cancel: 'cancelled'}[m[1]] : action;
  }

  /**
   * Asks before a change, then makes it as the signed-in user: the request carries the session's CSRF
   * token (GET /ui/csrf), without which the controller takes no change from a cookie. The audit log
   * records the user as the actor.
   */
  function confirmAction(o) {
    var old = document.getElementById('confirm');
    if (old) old.remove();
    var d = document.createElement('dialog');
    d.id = 'confirm';
    d.setAttribute('aria-labelledby', 'confirm-title');
    d.innerHTML = '<form method="dialog"><h2 id="confirm-title">' + esc(o.title) + '</h2><p>' + esc(o.text) + '</p>' +
      (o.reason ? '<label>Reason (for the audit log and the host panel) <input id="confirm-reason" maxlength="500" autocomplete="off"></label>' : '') +
      '<p class="problem" id="confirm-problem" role="alert"></p>' +
      '<div class="actions"><button type="button" id="confirm-no" autofocus>Keep as it is</button> ' +
      '<button type="submit" class="danger" id="confirm-yes">' + esc(o.button) + '</button></div></form>';
    document.body.appendChild(d);
    var back = document.activeElement;
    d.addEventListener('close', function () { d.remove(); if (back && back.focus) back.focus(); });
    document.getElementById('confirm-no').addEventListener('click', function () { d.close(); });
    d.querySelector('form').addEventListener('submit', function (e) {
      e.preventDefault();
      var yes = document.getElementById('confirm-yes');
      yes.disabled = true;
      var body = {};
      var r = document.getElementById('confirm-reason');
      if (r && r.value.trim()) body.reason = r.value.trim();
      get('/ui/csrf').then(function (t) {
        var h = {'Content-Type': 'application/json', Accept: 'application/json'};
        if (t.token) h['X-CSRF-Token'] = t.token;
        // a standby answers a change with a redirect to the leader, another origin: said, not followed
        return fetch(o.path, {method: 'POST', headers: h, body: JSON.stringify(body), redirect: 'manual'});
      }).then(function (resp) {
        if (resp.ok) { d.close(); refresh(); return; }
        if (resp.type === 'opaqueredirect' || resp.status === 307) {
          askRole();
          setHtml('confirm-problem', esc(standbyProblem() || 'This controller is a standby: changes go to the leader.'));
          yes.disabled = false;
          return;
        }
        return resp.text().then(function (t) {
          var msg = t;
          try { msg = errorMessage(JSON.parse(t)) || t; } catch (x) { /* not JSON */ }
          setHtml('confirm-problem', esc(msg));
          yes.disabled = false;
        });
      }, function (err) {
        setHtml('confirm-problem', esc('the controller did not answer: ' + err.message));
        yes.disabled = false;
      });
    });
    d.showModal();
  }

  // ---- the fleet --------------------------------------------------------------------------------

  var fleetPage = {
    nav: 'fleet',
    title: 'Fleet',
    frame: function () {
      return '<header class="top"><div class="kicker">gpufleet · controller</div><h1>Fleet</h1></header>' +
        '<p id="problem" class="problem" role="alert"></p>' +
        '<div class="cards" id="fleet-cards"></div>' +
        '<div class="fleet-layout">' +
        '<section class="panel" aria-labelledby="hm-title"><h2 id="hm-title">Hosts by zone and rack</h2>' +
        '<div class="sub" id="hm-sub">Each column is a rack, each square in it a host, filled from the bottom with the share of its GPUs in use. ' +
        'Arrow keys move as drawn: Up and Down within a rack, Left and Right to the next rack; Page Up and Page Down between zones; Enter shows the host.</div>' +
        '<div class="legend" id="hm-legend"></div>' +
        '<div id="heatmap" class="heatmap"></div></section>' +
        '<aside class="panel detail" id="host-detail" aria-live="polite" aria-labelledby="hd-title">' +
        '<h2 id="hd-title">Host</h2><p class="empty">Choose a host to see its GPUs and jobs.</p></aside>' +
        '</div>';
    },
    data: null,
    selected: null,
    cells: null, // host name -> cell element
    layoutKey: '',
    load: function () {
      return get('/api/v1/fleet').then(function (f) { fleetPage.data = f; fleetPage.draw(); });
    },
    draw: function () {
      var f = this.data;
      var used = f.gpus.busy, total = f.gpuCount;
      // GPUs and hosts are counted in one model (HostState): the idle GPUs of a draining host are
      // "draining", those of a host out of service for a GPU error "unhealthy", so each tile's two
      // figures always describe the same hosts
      setHtml('fleet-cards',
        card('GPUs', num(total), plural(f.hostCount, 'host'), 'blue') +
        card('Busy', num(f.gpus.busy), pct(total ? used / total : NaN) + ' of GPUs', 'blue', 'card-busy') +
        card('Free', num(f.gpus.free), 'can take work now', 'grey', 'card-free') +
        card('Draining', num(f.gpus.draining), 'idle GPUs on ' + plural(f.hosts.draining, 'drained host'),
          f.gpus.draining || f.hosts.draining ? 'orange' : 'grey', 'card-draining') +
        card('Unhealthy', num(f.gpus.unhealthy), 'out of service on ' + plural(f.hosts.unhealthy, 'host') + ' with GPU errors',
          f.gpus.unhealthy ? 'vermillion' : 'grey', 'card-unhealthy') +
        card('Down', num(f.gpus.down), 'on ' + plural(f.hosts.down, 'silent host'), f.gpus.down ? 'vermillion' : 'grey', 'card-down') +
        card('Running jobs', num(Object.keys(f.jobs).length), 'holding GPUs', 'sky'));
      var rackMode = f.hostCount > RACK_MODE_HOSTS || new URLSearchParams(location.search).get('view') === 'racks';
      // the legend counts what the view draws: hosts, or racks by their worst host
      var counts = rackMode ? this.rackCounts(f) : f.hosts;
      setHtml('hm-legend', '<span class="muted">' + (rackMode ? 'Racks, each by its worst host:' : 'Hosts:') + '</span>' +
        HOST_STATES.map(function (s) {
          return '<span><i class="swatch s-' + s + '" aria-hidden="true"></i>' + s + ' <b>' + num(counts[s]) +
            '</b> <span class="muted">(' + HOST_STATE_TEXT[s] + ')</span></span>';
        }).join(''));
      var key = (rackMode ? 'r' : 'h') + f.zones.map(function (z) {
        return z.name + ':' + z.racks.map(function (r) { return r.name + '=' + r.hosts.map(function (h) { return h.name; }).join(','); }).join(';');
      }).join('|');
      if (key !== this.layoutKey) this.build(f, rackMode, key);
      else this.paint(f, rackMode);
      this.detail();
    },
    /** Racks by the state of their worst host, as rack view draws them. */
    rackCounts: function (f) {
      var out = {};
      HOST_STATES.forEach(function (s) { out[s] = 0; });
      f.zones.forEach(function (z) { z.racks.forEach(function (r) { out[fleetPage.worst(r)]++; }); });
      return out;
    },
    worst: function (r) {
      var seen = {};
      r.hosts.forEach(function (h) { seen[h.state] = true; });
      return ['down', 'unhealthy', 'draining', 'busy', 'free'].filter(function (s) { return seen[s]; })[0] || 'free';
    },
    /**
     * How big a cell is: as big as the fleet allows, so that 4 hosts are not lost in a wide box and
     * 6,000 still fit. Large enough cells carry their host's name and GPUs in use.
     */
    cellSize: function (hosts) {
      if (hosts <= 48) return {px: 30, named: true};
      if (hosts <= 300) return {px: 22, named: false};
      if (hosts <= 1500) return {px: 16, named: false};
      return {px: 11, named: false};
    },
    /** Builds the heatmap's cells: once, and again only when hosts come or go. */
    build: function (f, rackMode, key) {
      var box = document.getElementById('heatmap');
      var focusedName = document.activeElement && document.activeElement.getAttribute('data-host');
      this.layoutKey = key;
      this.cells = {};
      var html = [];
      var size = this.cellSize(rackMode ? f.zones.reduce(function (a, z) { return a + z.racks.length; }, 0) : f.hostCount);
      f.zones.forEach(function (z, zi) {
        var title = /^zone/i.test(z.name) ? z.name : 'zone ' + z.name;
        html.push('<div class="zone"><h3>' + esc(title) + ' <span class="muted">· ' + plural(z.racks.length, 'rack') + '</span></h3><div class="racks">');
        z.racks.forEach(function (r) {
          if (rackMode) {
            html.push('<button type="button" class="host rackcell" tabindex="-1" data-zone="' + zi + '" data-rack="' + esc(r.name) +
              '" data-host="rack:' + esc(z.name) + '/' + esc(r.name) + '">' + (size.named ? '<span class="nm">' + esc(r.name) + '</span>' : '') + '</button>');
          } else {
            html.push('<div class="rack" title="rack ' + esc(r.name) + '"><div class="rack-name" aria-hidden="true">' + esc(r.name) + '</div>');
            r.hosts.forEach(function (h) {
              html.push('<button type="button" class="host" tabindex="-1" data-zone="' + zi + '" data-host="' + esc(h.name) + '">' +
                (size.named ? '<span class="nm">' + esc(h.name) + '</span><span class="use"></span>' : '') + '</button>');
            });
            html.push('</div>');
          }
        });
        html.push('</div></div>');
      });
      box.innerHTML = html.length ? html.join('') : '<p class="empty">No hosts have registered. Start an agent: gpufleet agent --server URL</p>';
      box.setAttribute('data-mode', rackMode ? 'racks' : 'hosts');
      box.style.setProperty('--cell', size.px + 'px');
      box.classList.toggle('named', size.named);
      var cells = box.querySelectorAll('button.host');
      for (var i = 0; i < cells.length; i++) this.cells[cells[i].getAttribute('data-host')] = cells[i];
      if (cells.length) {
        var first = (focusedName && this.cells[focusedName]) || (this.selected && this.cells[this.selected]) || cells[0];
        first.tabIndex = 0;
        if (focusedName && this.cells[focusedName]) first.focus();
      }
      this.paint(f, rackMode);
    },
    /** Colours the cells: the only work an event costs once the heatmap is built. */
    paint: function (f, rackMode) {
      var cells = this.cells, jobs = f.jobs;
      f.zones.forEach(function (z) {
        z.racks.forEach(function (r) {
          if (rackMode) {
            var counts = {};
            HOST_STATES.forEach(function (s) { counts[s] = 0; });
            r.hosts.forEach(function (h) { counts[h.state]++; });
            var worst = fleetPage.worst(r);
            var c = cells['rack:' + z.name + '/' + r.name];
            if (!c) return;
            var label = 'rack ' + r.name + ' in zone ' + z.name + ': ' + HOST_STATES.filter(function (s) { return counts[s]; })
              .map(function (s) { return counts[s] + ' ' + s; }).join(', ');
            c.className = 'host rackcell s-' + worst + (fleetPage.selected === c.getAttribute('data-host') ? ' selected' : '');
            c.setAttribute('data-state', worst);
            c.title = label;
            c.setAttribute('aria-label', label);
            return;
          }
          r.hosts.forEach(function (h) {
            var c = cells[h.name];
            if (!c) return;
            var held = {};
            h.owners.forEach(function (o) { if (o !== null) held[o] = true; });
            var ids = Object.keys(held);
            var label = h.name + ': ' + h.state + (h.status === 'QUARANTINED' ? ' (quarantined)' : '') + ', ' + h.used + ' of ' + h.gpus + ' GPUs in use' +
              (ids.length ? ', jobs ' + ids.map(function (id) { return '#' + id + (jobs[id] ? ' ' + jobs[id].name : ''); }).join(', ') : '') +
              (h.reason ? ' (' + h.reason + ')' : '') + ' · rack ' + r.name + ', zone ' + z.name;
            c.className = 'host s-' + h.state + (fleetPage.selected === h.name ? ' selected' : '');
            c.setAttribute('data-state', h.state);
            c.style.setProperty('--fill', Math.round(100 * h.used / Math.max(1, h.gpus)) + '%');
            var use = c.querySelector('.use');
            if (use) use.textContent = h.used + '/' + h.gpus;
            c.title = label;
            c.setAttribute('aria-label', label);
          });
        });
      });
    },
    findHost: function (name) {
      var hit = null;
      this.data.zones.forEach(function (z) {
        z.racks.forEach(function (r) {
          r.hosts.forEach(function (h) { if (h.name === name) hit = {host: h, rack: r, zone: z}; });
        });
      });
      return hit;
    },
    detail: function () {
      var box = document.getElementById('host-detail');
      if (!box || !this.selected) return;
      var f = this.data;
      if (this.selected.indexOf('rack:') === 0) {
        var parts = this.selected.substring(5).split('/');
        var rack = null;
        f.zones.forEach(function (z) { if (z.name === parts[0]) z.racks.forEach(function (r) { if (r.name === parts[1]) rack = r; }); });
        if (!rack) return;
        box.innerHTML = '<h2 id="hd-title">Rack ' + esc(parts[1]) + '</h2><div class="sub">zone ' + esc(parts[0]) + '</div>' +
          '<div class="scroll"><table class="sortable" id="rack-hosts"><thead><tr><th>Host</th><th>State</th><th>GPUs in use</th></tr></thead><tbody>' +
          rack.hosts.map(function (h) {
            return '<tr><td>' + esc(h.name) + '</td><td><i class="swatch s-' + h.state + '" aria-hidden="true"></i>' + h.state +
              '</td><td data-sort="' + h.used + '">' + h.used + ' / ' + h.gpus + '</td></tr>';
          }).join('') + '</tbody></table></div>';
        gf.enhance(box);
        return;
      }
      var hit = this.findHost(this.selected);
      if (!hit) {
        box.innerHTML = '<h2 id="hd-title">Host</h2><p class="empty">' + esc(this.selected) + ' is no longer registered.</p>';
        return;
      }
      var h = hit.host;
      var rows = h.owners.map(function (o, g) {
        // the server's classification (HostState.ofGpu), the one the tiles count
        var st = h.gpuStates[g];
        var note = st === 'unhealthy' && h.unhealthy.indexOf(g) < 0 ? ' <span class="muted">(its host is out of service)</span>'
          : st === 'unhealthy' ? ' <span class="muted">(reported an error)</span>' : '';
        var job = o !== null ? f.jobs[o] : null;
        return '<tr><td data-sort="' + g + '">GPU ' + g + '</td><td class="l"><i class="swatch s-' + st + '" aria-hidden="true"></i>' + st + note +
          '</td><td>' + (o !== null ? jobLink(o, '#' + o + (job ? ' ' + job.name : '')) : '<span class="muted">–</span>') + '</td></tr>';
      }).join('');
      var jobIds = {};
      h.owners.forEach(function (o) { if (o !== null) jobIds[o] = (jobIds[o] || 0) + 1; });
      var jobs = Object.keys(jobIds).map(function (id) {
        var j = f.jobs[id];
        return '<li>' + jobLink(id, '#' + id + (j ? ' ' + j.name : '')) + (j ? ' <span class="muted">' + esc(j.team) + ' · ' +
          (jobIds[id] === j.gpus ? (j.gpus === 1 ? 'its GPU' : 'all its ' + gpus(j.gpus)) : jobIds[id] + ' of its ' + gpus(j.gpus)) +
          ' here</span>' : '') + '</li>';
      }).join('');
      // one state, the heatmap's: the stored status (UP, DRAINING, DOWN) is what the state is made from, not a second label
      var admin = isAdmin() && h.state !== 'down';
      var takesWork = h.status === 'UP';
      // a lemon drained for diagnosis (server --quarantine): its reason below says which failures
      var quarantined = h.status === 'QUARANTINED';
      box.innerHTML = '<h2 id="hd-title">' + esc(h.name) + ' <span class="badge host-' + h.state + '" id="host-state">' + esc(h.state) + '</span>' +
        (quarantined ? ' <span class="badge host-draining" id="host-quarantined">quarantined</span>' : '') +
        // a hot spare (server --spares) is idle on purpose: only a gang that lost a host takes it
        (h.status === 'SPARE' ? ' <span class="badge host-free" id="host-spare">hot spare</span>' : '') + '</h2>' +
        '<div class="sub">' + esc(HOST_STATE_TEXT[h.state]) + ' · zone ' + esc(hit.zone.name) + ' · rack ' + esc(hit.rack.name) +
        (h.reason ? '<br>' + esc(h.reason) : '') + '<br><span id="host-actions-said">' + this.cached(h.name, 'said', '') + '</span>last heartbeat ' +
        (h.lastHeartbeat ? time(h.lastHeartbeat) + ' (' + dur(now() - h.lastHeartbeat) + ' ago)' : 'not heard since the controller started') + '</div>' +
        (admin ? '<div class="actions">' + (takesWork
          ? '<button type="button" class="act" id="act-drain" data-key="act-drain">Drain…</button>'
          : '<button type="button" class="act" id="act-resume" data-key="act-resume">Resume…</button>') + '</div>' : '') +
        (jobs ? '<h3 class="h3">Jobs</h3><ul class="plain">' + jobs + '</ul>' : '<p class="empty">No jobs on this host.</p>') +
        '<h3 class="h3">GPUs</h3><div class="scroll"><table class="sortable" id="host-gpus"><thead><tr><th>GPU</th><th class="l">State</th><th>Job</th></tr></thead><tbody>' +
        rows + '</tbody></table></div>' +
        // what was read for this host last stays on screen while it is read again: no flicker at every redraw
        '<h3 class="h3">Telemetry</h3><div id="host-telemetry">' +
        this.cached(h.name, 'tel', '<p class="empty">Waiting for the agent\'s readings…</p>') + '</div>' +
        '<h3 class="h3">GPU errors</h3><div id="host-xids">' + this.cached(h.name, 'xids', '') + '</div>';
      gf.enhance(box);
      var name = h.name;
      var drain = document.getElementById('act-drain'), resume = document.getElementById('act-resume');
      if (drain) drain.addEventListener('click', function () {
        confirmAction({title: 'Drain ' + name + '?', text: 'No new work starts on ' + name + '; what runs there now runs to its end.',
          reason: true, button: 'Drain ' + name, path: '/api/v1/hosts/' + encodeURIComponent(name) + '/drain'});
      });
      if (resume) resume.addEventListener('click', function () {
        confirmAction({title: 'Resume ' + name + '?', text: name + ' takes work again' +
          (quarantined ? ', released from quarantine with its failure count reset' : '') + '. A GPU still reported faulty stays out of service.',
          button: 'Resume ' + name, path: '/api/v1/hosts/' + encodeURIComponent(name) + '/resume'});
      });
      this.telemetry(name);
      // who drained or resumed it, from the audit log
      get('/api/v1/hosts/' + encodeURIComponent(name) + '/actions').then(function (acts) {
        var last = acts.length ? acts[acts.length - 1] : null;
        if (!last || fleetPage.selected !== name) return;
        fleetPage.fill(name, 'said', 'host-actions-said', esc(actionWord(last.action)) + ' by <b>' + esc(last.actor) + '</b> ' +
          shortTime(last.time) + '<br>');
      }, function () { /* the panel stands without it */ });
    },
    /** The host panel's parts read separately (telemetry, errors, who acted), kept for the next redraw of the same host. */
    partsOf: {},
    cached: function (name, part, fallback) {
      var c = this.partsOf[name];
      return c && c[part] !== undefined ? c[part] : fallback;
    },
    fill: function (name, part, id, html) {
      (this.partsOf[name] = this.partsOf[name] || {})[part] = html;
      setHtml(id, html);
      gf.enhance(document.getElementById(id));
    },
    /** The agent's per-GPU readings (sent with its heartbeats every 10 s), with each GPU's recent utilization drawn small. */
    telemetry: function (name) {
      get('/api/v1/hosts/' + encodeURIComponent(name) + '/gpus').then(function (t) {
        if (fleetPage.selected !== name) return;
        var gb = function (b) { return b === null || b === undefined ? '–' : (b / 1073741824).toFixed(b >= 10737418240 ? 0 : 1); };
        var or = function (v) { return v === null || v === undefined ? '–' : num(v); };
        fleetPage.fill(name, 'tel', 'host-telemetry', t.gpus.length === 0 ? '<p class="empty">The agent has sent no readings yet.</p>' :
          '<table class="sortable compact" id="host-tel"><thead><tr><th>GPU</th><th>Util %</th><th>Mem GB</th><th>W</th><th>°C</th><th>ECC</th></tr></thead><tbody>' +
          t.gpus.map(function (g) {
            return '<tr data-gpu="' + g.index + '"><td data-sort="' + g.index + '">' + g.index + '</td><td data-sort="' + (g.utilizationPct === null ? '' : g.utilizationPct) + '">' +
              spark(g.history) + ' ' + or(g.utilizationPct) + '</td><td data-sort="' + (g.memoryUsedBytes || 0) + '">' + gb(g.memoryUsedBytes) + ' / ' + gb(g.memoryTotalBytes) +
              '</td><td data-sort="' + (g.powerW || 0) + '">' + or(g.powerW) + '</td><td data-sort="' + (g.temperatureC || 0) + '">' + or(g.temperatureC) +
              '</td><td data-sort="' + (g.eccErrors || 0) + '" class="' + (g.eccErrors ? 'bad' : '') + '">' + or(g.eccErrors) + '</td></tr>';
          }).join('') + '</tbody></table><div class="sub">as of ' + shortTime(t.gpus[0].time) + '; the bars: utilization over the last ' +
          dur(t.gpus[0].history.length > 1 ? t.gpus[0].time - t.gpus[0].history[0].time : 0) + '</div>');
        fleetPage.fill(name, 'xids', 'host-xids', t.xids.length === 0 ? '<p class="empty">No GPU errors reported since the controller started.</p>' :
          '<ol class="failures" id="xid-list">' + t.xids.slice().reverse().map(function (x) {
            return '<li><b>GPU ' + x.gpu + (x.xid !== null ? ' · XID ' + x.xid : '') + '</b> ' + shortTime(x.time) +
              '<br><span class="muted">' + esc(x.detail || '') + '</span></li>';
          }).join('') + '</ol>');
      }, function () { /* the panel stands without it */ });
    },
    select: function (name) {
      var old = this.selected && this.cells[this.selected];
      if (old) old.classList.remove('selected');
      this.selected = name;
      var c = this.cells[name];
      if (c) c.classList.add('selected');
      var url = new URL(location.href);
      url.searchParams.set('host', name);
      history.replaceState(null, '', url.pathname + url.search);
      this.detail();
    },
    mount: function () {
      var self = this;
      this.layoutKey = '';
      this.selected = new URLSearchParams(location.search).get('host');
      var box = document.getElementById('heatmap');
      box.addEventListener('click', function (e) {
        var c = e.target.closest('button.host');
        if (!c) return;
        self.move(c);
        self.select(c.getAttribute('data-host'));
      });
      box.addEventListener('keydown', function (e) {
        var c = e.target.closest('button.host');
        if (!c) return;
        var all = Array.prototype.slice.call(box.querySelectorAll('button.host'));
        var i = all.indexOf(c), next = null;
        var rackOf = function (el) { return el.parentNode; };
        var rackMode = box.getAttribute('data-mode') === 'racks';
        // as drawn: a rack is a column of hosts, racks stand side by side; in rack view each rack is one cell in a row
        switch (e.key) {
          case 'ArrowDown': case 'ArrowUp': {
            if (rackMode) break;
            // within the rack's column; its top and bottom are its ends
            var mine = Array.prototype.slice.call(rackOf(c).querySelectorAll('button.host'));
            next = mine[mine.indexOf(c) + (e.key === 'ArrowDown' ? 1 : -1)] || null;
            break;
          }
          case 'ArrowRight': case 'ArrowLeft': {
            if (rackMode) { next = all[i + (e.key === 'ArrowRight' ? 1 : -1)]; break; }
            // the same place in the next (or previous) rack
            var rack = rackOf(c), hostsIn = rack.querySelectorAll('button.host');
            var pos = Array.prototype.indexOf.call(hostsIn, c);
            var racks = Array.prototype.slice.call(box.querySelectorAll('.rack'));
            var target = racks[racks.indexOf(rack) + (e.key === 'ArrowRight' ? 1 : -1)];
            if (target) {
              var there = target.querySelectorAll('button.host');
              next = there[Math.min(pos, there.length - 1)];
            }
            break;
          }
          case 'PageDown': case 'PageUp': {
            var zone = +c.getAttribute('data-zone') + (e.key === 'PageDown' ? 1 : -1);
            next = box.querySelector('button.host[data-zone="' + zone + '"]');
            break;
          }
          case 'Home': next = all[0]; break;
          case 'End': next = all[all.length - 1]; break;
          case 'Enter': case ' ':
            e.preventDefault();
            self.select(c.getAttribute('data-host'));
            return;
          default: return;
        }
        e.preventDefault();
        if (next) self.move(next, true);
      });
    },
    move: function (cell, focus) {
      var prev = document.getElementById('heatmap').querySelector('button.host[tabindex="0"]');
      if (prev) prev.tabIndex = -1;
      cell.tabIndex = 0;
      if (focus) cell.focus();
    },
    relevant: function (ev) { return true; }
  };

  // ---- jobs -------------------------------------------------------------------------------------

  var jobsPage = {
    nav: 'jobs',
    title: 'Jobs',
    frame: function () {
      var q = new URLSearchParams(location.search);
      return '<header class="top"><div class="kicker">gpufleet · controller</div><h1>Jobs</h1></header>' +
        '<p id="problem" class="problem" role="alert"></p>' +
        '<form class="filters" id="job-filters" role="search" aria-label="Filter jobs">' +
        '<label>Team <select name="team" id="f-team"><option value="">all teams</option></select></label>' +
        '<label>State <select name="state" id="f-state"><option value="">all states</option>' +
        '<option value="waiting">waiting (pending, restarting, preempted)</option>' +
        STATES.map(function (s) { return '<option value="' + s.toLowerCase() + '">' + s.toLowerCase() + '</option>'; }).join('') +
        '</select></label>' +
        '<label>Name or id <input type="search" name="q" id="f-q" value="' + esc(q.get('q') || '') + '" autocomplete="off"></label>' +
        '<span class="muted">Users are not recorded yet: filter by team.</span></form>' +
        '<section class="panel"><h2 id="jobs-count">Jobs</h2><div class="scroll" id="jobs-table-box"></div></section>';
    },
    jobs: [],
    teams: null,
    mount: function () {
      var q = new URLSearchParams(location.search);
      document.getElementById('f-state').value = (q.get('state') || '').toLowerCase();
      var form = document.getElementById('job-filters');
      var self = this;
      form.addEventListener('submit', function (e) { e.preventDefault(); });
      form.addEventListener('change', function () { self.syncUrl(); refresh(); });
      document.getElementById('f-q').addEventListener('input', function () { self.syncUrl(); self.draw(); });
    },
    syncUrl: function () {
      var p = new URLSearchParams();
      ['team', 'state', 'q'].forEach(function (k) {
        var v = document.getElementById('f-' + k).value;
        if (v) p.set(k, v);
      });
      var s = p.toString();
      history.replaceState(null, '', '/jobs' + (s ? '?' + s : ''));
    },
    load: function () {
      var self = this;
      var state = document.getElementById('f-state').value;
      var team = document.getElementById('f-team').value || new URLSearchParams(location.search).get('team') || '';
      var params = new URLSearchParams();
      if (team) params.set('team', team);
      if (state && state !== 'waiting') params.set('state', state);
      return Promise.all([get('/api/v1/jobs' + (params.toString() ? '?' + params : '')), get('/api/v1/teams')]).then(function (r) {
        self.jobs = r[0];
        var sel = document.getElementById('f-team');
        var want = team;
        sel.innerHTML = '<option value="">all teams</option>' + r[1].map(function (t) {
          return '<option value="' + esc(t.name) + '">' + esc(t.name) + '</option>';
        }).join('');
        sel.value = want;
        self.draw();
      });
    },
    draw: function () {
      var state = document.getElementById('f-state').value;
      var q = document.getElementById('f-q').value.trim().toLowerCase();
      var t = now();
      var rows = this.jobs.filter(function (j) {
        if (state === 'waiting' && WAITING.indexOf(j.state) < 0) return false;
        if (q && String(j.id) !== q.replace(/^#/, '') && j.name.toLowerCase().indexOf(q) < 0) return false;
        return true;
      });
      setHtml('jobs-count', rows.length + (rows.length === 1 ? ' job' : ' jobs'));
      keepFocus(function () {
        setHtml('jobs-table-box', rows.length === 0 ? '<p class="empty">No jobs match.</p>' :
          '<table class="sortable" id="jobs-table"><thead><tr><th data-desc>Job</th><th class="l">Name</th><th class="l">Team</th><th class="l">State</th>' +
          '<th>GPUs</th><th>Restarts</th><th>Submitted</th><th>Waiting or running for</th><th class="l">Reason</th></tr></thead><tbody>' +
          rows.slice().reverse().map(function (j) {
            var since = j.state === 'RUNNING' ? j.startTime : WAITING.indexOf(j.state) >= 0 ? (j.interruptedAt || j.submitTime) : null;
            return '<tr data-job="' + j.id + '"><td data-sort="' + j.id + '">' + jobLink(j.id) + '</td><td class="l">' + esc(j.name) +
              '</td><td class="l">' + esc(j.team) + '</td><td class="l" data-sort="' + j.state + '">' + badge(j.state) + '</td><td data-sort="' + j.gpus + '">' +
              num(j.gpus) + '</td><td data-sort="' + j.restarts + '">' + j.restarts + '</td><td data-sort="' + j.submitTime + '">' +
              shortTime(j.submitTime) + '</td><td data-sort="' + (since ? t - since : '') + '">' + (since ? dur(t - since) : '–') +
              '</td><td class="reason">' + esc(j.reason) + '</td></tr>';
          }).join('') + '</tbody></table>');
      });
    },
    relevant: function (ev) { return ev.type === 'job' || ev.type === 'team'; }
  };

  // ---- one job ----------------------------------------------------------------------------------

  function jobPage(id) {
    return {
      nav: 'jobs',
      title: 'Job ' + id,
      job: null,
      frame: function () {
        return '<header class="top"><div class="kicker"><a href="/jobs">Jobs</a> · job ' + id + '</div>' +
          '<h1 id="job-title">Job ' + id + '</h1><div class="sub" id="job-reason"></div><div class="actions" id="job-actions"></div></header>' +
          '<p id="problem" class="problem" role="alert"></p>' +
          '<div class="cards" id="job-cards"></div>' +
          '<section class="panel"><h2>Timeline</h2><div class="sub">Runs, waits, interruptions and the newest checkpoint; hover for times (UTC) and causes.</div>' +
          '<div id="job-timeline"></div></section>' +
          '<div class="grid2">' +
          '<section class="panel"><h2>Placement</h2><div id="job-placement"></div></section>' +
          '<section class="panel"><h2>Restarts and failures</h2><div id="job-failures"></div></section>' +
          '</div>' +
          '<section class="panel"><h2>Events</h2><div class="scroll" id="job-events"></div></section>' +
          '<section class="panel"><h2>Logs</h2><div class="sub">The last ' + (TAIL_BYTES / 1024) + ' KiB of each rank\'s output.</div>' +
          '<form class="filters" id="rank-form"><label>Rank <input type="number" min="0" id="rank-input" value="0"></label>' +
          '<button type="submit">Show</button></form><div id="job-logs"></div></section>';
      },
      mount: function () {
        var self = this;
        document.getElementById('rank-form').addEventListener('submit', function (e) {
          e.preventDefault();
          var r = +document.getElementById('rank-input').value;
          if (!self.job || !(r >= 0 && r < self.job.gpus)) return;
          var d = document.getElementById('rank-' + r);
          if (!d) {
            document.getElementById('job-logs').insertAdjacentHTML('afterbegin', self.rankBox(r));
            d = document.getElementById('rank-' + r);
          }
          d.open = true;
          self.tail(r);
          d.querySelector('summary').focus();
        });
        document.getElementById('job-logs').addEventListener('toggle', function (e) {
          if (e.target.open) self.tail(+e.target.getAttribute('data-rank'));
        }, true);
      },
      rankBox: function (r) {
        return '<details class="log" id="rank-' + r + '" data-rank="' + r + '"' + (r === 0 ? ' open' : '') +
          '><summary data-key="rank-' + r + '">rank ' + r + ' <span class="muted" id="rank-size-' + r + '"></span></summary>' +
          '<pre tabindex="0" id="rank-log-' + r + '"></pre></details>';
      },
      /** Whether this token may read the job's logs: a viewer, or a member of another team, may not, and is not made to ask. */
      readsLogs: function () {
        return this.job && mayActFor(this.job.team) && !this.logsRefused;
      },
      logsRefused: false,
      tail: function (r) {
        var self = this;
        var base = '/api/v1/jobs/' + id + '/logs/' + r;
        if (!this.readsLogs()) return Promise.resolve();
        return fetch(base + '?offset=9007199254740991', {redirect: 'manual'}).then(function (resp) {
          if (resp.type === 'opaqueredirect') {
            // a standby: the agents ship logs to the leader, whose page shows them (another origin: not fetched here)
            var where = document.getElementById('rank-log-' + r);
            if (where) where.textContent = 'The leader keeps the logs' + (ha && ha.leader ? ': open this page on ' + ha.leader : '') + '.';
            throw {quiet: true};
          }
          if (resp.status === 403) {
            // the token may not (its role changed since sign-in): say so, and ask no more
            self.logsRefused = true;
            self.noLogs();
            throw {quiet: true};
          }
          var size = +resp.headers.get('X-Log-Size') || 0;
          return fetch(base + '?offset=' + Math.max(0, size - TAIL_BYTES)).then(function (r2) {
            return r2.text().then(function (t) { return {size: size, text: t}; });
          });
        }).then(function (res) {
          var pre = document.getElementById('rank-log-' + r);
          if (!pre) return;
          var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          pre.textContent = res.size === 0 ? '(no output yet)' : (res.size > TAIL_BYTES ? '…\n' : '') + res.text;
          if (atEnd) pre.scrollTop = pre.scrollHeight;
          setHtml('rank-size-' + r, plural(res.size, 'byte'));
        }).catch(function (e) { if (!e || !e.quiet) throw e; });
      },
      noLogs: function () {
        setHtml('job-logs', '<p class="empty" id="logs-forbidden">Your token cannot read this job\'s logs: ' +
          (me && me.team ? 'they are for team ' + esc(this.job.team) + ' and admins.' : 'logs are for the job\'s team and admins.') + '</p>');
        var form = document.getElementById('rank-form');
        if (form) form.hidden = true;
      },
      load: function () {
        var self = this;
        return Promise.all([get('/api/v1/jobs/' + id), get('/ui/fragments/jobs/' + id + '/timeline', 'text')]).then(function (r) {
          self.job = r[0];
          self.draw(r[0], r[1]);
          if (!self.readsLogs()) { self.noLogs(); return; }
          var open = document.querySelectorAll('#job-logs details[open]');
          return Promise.all(Array.prototype.map.call(open, function (d) { return self.tail(+d.getAttribute('data-rank')); }));
        });
      },
      draw: function (j, timeline) {
        var t = now();
        document.title = 'Job ' + j.id + ' · ' + j.name + ' · gpufleet';
        setHtml('job-title', 'Job ' + j.id + ' · ' + esc(j.name) + ' ' + badge(j.state));
        var waits = WAITING.indexOf(j.state) >= 0;
        var why = waits ? 'Waiting: ' + (j.waitReason || j.reason) : j.reason;
        setHtml('job-reason', esc(why) + (waits ? '<br><span id="job-expected-start">Expected start: ' + expectedStart(j, t) + '</span>' : ''));
        var shape = gpus(j.gpus) + ' · TP ' + j.tp + (j.pp > 1 ? ' · PP ' + j.pp : '') + (j.cp > 1 ? ' · CP ' + j.cp : '');
        var ended = j.state === 'COMPLETED' || j.state === 'FAILED' || j.state === 'CANCELLED';
        setHtml('job-cards',
          card('Team', j.team, priorityName(j.priority) + ' priority', 'blue', 'card-team') +
          card('GPUs', num(j.gpus), shape, 'blue') +
          card('ETTR ' + (ended ? '' : 'so far'), j.ettr === null ? '–' : pct(j.ettr), 'time not lost / time since first start',
            j.ettr === null ? 'grey' : level(j.ettr < 0.5, j.ettr < 0.9), 'card-ettr') +
          card('Restarts', j.restarts + ' / ' + j.maxRestarts, 'lost ' + dur(j.lostSeconds) + (ended ? ' in all' : ''),
            j.restarts === 0 && j.lostSeconds < 1 ? 'grey' : level(j.restarts >= j.maxRestarts && j.restarts > 0, true), 'card-restarts') +
          card('Submitted', dur(t - j.submitTime) + ' ago', '', 'grey', 'card-submitted') +
          card('Last checkpoint', j.lastCheckpoint ? dur(t - j.lastCheckpoint) + ' ago' : 'none', j.checkpointDir || 'no checkpoint directory', 'green'));
        document.querySelector('#card-submitted .s').innerHTML = time(j.submitTime) + '<br>' +
          (j.firstStartTime ? 'first ran ' + time(j.firstStartTime) : 'not started yet');
        setHtml('job-timeline', timeline);
        var rank = 0;
        setHtml('job-placement', j.placement.length === 0 ? lastRun(j) :
          '<table class="sortable" id="placement"><thead><tr><th>Host</th><th>GPUs</th><th>Ranks</th></tr></thead><tbody>' +
          j.placement.map(function (p) {
            var first = rank;
            rank += p.gpus.length;
            return '<tr><td><a href="/?host=' + encodeURIComponent(p.host) + '" data-key="host-' + esc(p.host) + '">' + esc(p.host) + '</a></td><td>' +
              p.gpus.join(', ') + '</td><td data-sort="' + first + '">' + first + '–' + (rank - 1) + '</td></tr>';
          }).join('') + '</tbody></table>');
        this.actions(j, ended);
        var failures = j.events.filter(function (e) { return e.kind === 'RESTART' || e.kind === 'FAILED' || e.kind === 'PREEMPTED'; });
        setHtml('job-failures', failures.length === 0 ? '<p class="empty">No restarts, failures or preemptions.</p>' :
          '<ol class="failures">' + failures.map(function (e) {
            return '<li><b>' + esc(e.kind.toLowerCase()) + '</b> ' + shortTime(e.time) + '<br><span class="muted">' + esc(e.detail) + '</span></li>';
          }).join('') + '</ol>');
        keepFocus(function () {
          setHtml('job-events', '<table class="sortable" id="events"><thead><tr><th>#</th><th>Time</th><th class="l">Event</th><th class="l">Detail</th></tr></thead><tbody>' +
            j.events.map(function (e) {
              return '<tr class="ev-' + esc(e.kind.toLowerCase()) + '"><td data-sort="' + e.seq + '">' + e.seq + '</td><td data-sort="' + e.time + '">' +
                shortTime(e.time) + '</td><td class="l">' + esc(e.kind) + '</td><td class="reason">' + esc(e.detail) + '</td></tr>';
            }).join('') + '</tbody></table>');
        });
        var logs = document.getElementById('job-logs');
        if (!logs.children.length) {
          var html = '';
          for (var r = 0; r < Math.min(j.gpus, LISTED_RANKS); r++) html += this.rankBox(r);
          if (j.gpus > LISTED_RANKS) html += '<p class="muted">Ranks ' + LISTED_RANKS + '–' + (j.gpus - 1) + ': use the rank box.</p>';
          logs.innerHTML = html;
          document.getElementById('rank-input').max = j.gpus - 1;
        }
      },
      /** The cancel button for whoever may cancel it, and who cancelled it once it is. */
      actions: function (j, ended) {
        var box = document.getElementById('job-actions');
        if (!ended && mayActFor(j.team)) {
          if (!document.getElementById('act-cancel')) {
            box.innerHTML = '<button type="button" class="act danger" id="act-cancel" data-key="act-cancel">Cancel job…</button>';
            document.getElementById('act-cancel').addEventListener('click', function () {
              confirmAction({title: 'Cancel job ' + j.id + ' (' + j.name + ')?', text: 'Its ranks are stopped and it will not run again. ' +
                'Its logs, events and checkpoints stay.', button: 'Cancel job ' + j.id, path: '/api/v1/jobs/' + j.id + '/cancel'});
            });
          }
        } else if (box.querySelector('button')) {
          box.innerHTML = '';
        }
        if (j.state !== 'CANCELLED') return;
        get('/api/v1/jobs/' + j.id + '/actions').then(function (acts) {
          var c = acts.filter(function (a) { return /\/cancel$/.test(a.action); }).pop();
          if (c) setHtml('job-actions', '<span id="cancelled-by">cancelled by <b>' + esc(c.actor) + '</b> ' + shortTime(c.time) + '</span>');
          gf.enhance(box);
        }, function () { /* said by the state badge already */ });
      },
      relevant: function (ev) { return ev.type === 'job' ? ev.id === id : ev.type === 'host'; }
    };
  }

  /** Utilization history as a row of small bars (an inline SVG, 0 to 100%). */
  function spark(history) {
    if (!history || history.length < 2) return '';
    var h = history.slice(-30), w = 2, out = '';
    h.forEach(function (s, i) {
      var v = s.utilizationPct === null ? 0 : s.utilizationPct;
      var bh = Math.max(1, Math.round(12 * v / 100));
      out += '<rect x="' + (i * w) + '" y="' + (12 - bh) + '" width="' + (w - 0.4) + '" height="' + bh + '"></rect>';
    });
    return '<svg class="spark" width="' + (h.length * w) + '" height="12" aria-hidden="true">' + out + '</svg>';
  }

  /**
   * Where a job that holds no GPUs last ran, read from its events: the hosts and GPUs of its newest
   * run, when it started and ended, and how it ended.
   */
  function lastRun(j) {
    var start = null, end = null;
    j.events.forEach(function (e) {
      if (e.kind === 'STARTED') { start = e; end = null; }
      else if (start && !end && ['RESTART', 'PREEMPTED', 'COMPLETED', 'CANCELLED', 'FAILED'].indexOf(e.kind) >= 0) end = e;
    });
    if (!start) return '<p class="empty">Has not run yet (' + esc(j.state.toLowerCase()) + ').</p>';
    var rank = 0;
    var rows = String(start.detail || '').split('; ').map(function (part) {
      var m = /^(\S+) \[([\d, ]*)\]$/.exec(part);
      if (!m) return '<tr><td colspan="3">' + esc(part) + '</td></tr>';
      var g = m[2].split(',').filter(function (x) { return x.trim() !== ''; });
      var first = rank;
      rank += g.length;
      return '<tr><td><a href="/?host=' + encodeURIComponent(m[1]) + '">' + esc(m[1]) + '</a></td><td>' + esc(g.join(', ')) +
        '</td><td data-sort="' + first + '">' + first + '–' + (rank - 1) + '</td></tr>';
    }).join('');
    var stop = end ? end.time : (j.endTime || now());
    return '<p id="last-run">Holds no GPUs now (' + esc(j.state.toLowerCase()) + '). Its last run: ' + shortTime(start.time) + ' to ' +
      (end ? shortTime(end.time) : shortTime(stop)) + ', ' + dur(stop - start.time) +
      (end ? ', ended by ' + esc(end.kind.toLowerCase()) : '') + '.</p>' +
      '<table class="sortable" id="placement"><thead><tr><th>Host</th><th>GPUs</th><th>Ranks</th></tr></thead><tbody>' + rows + '</tbody></table>';
  }

  // ---- teams ------------------------------------------------------------------------------------

  var teamsPage = {
    nav: 'teams',
    title: 'Teams',
    frame: function () {
      return '<header class="top"><div class="kicker">gpufleet · controller</div><h1>Teams</h1>' +
        '<div class="sub" id="period"></div></header><p id="problem" class="problem" role="alert"></p>' +
        '<div class="cards" id="team-cards"></div>' +
        '<section class="panel"><h2>Usage against quota</h2><div class="scroll" id="teams-table-box"></div></section>' +
        '<section class="panel"><h2>GPU-hours this month</h2><div id="usage-chart"></div></section>';
    },
    load: function () {
      return Promise.all([get('/api/v1/usage'), get('/ui/fragments/usage', 'text')]).then(function (r) {
        var u = r[0];
        setHtml('period', 'This month: since ' + time(u.periodStart) + ' · cost at ' + usd(u.gpuHourUsd) +
          ' per GPU-hour (set with gpufleet server --gpu-hour-usd)');
        var inUse = u.teams.reduce(function (a, t) { return a + t.gpusInUse; }, 0);
        setHtml('team-cards',
          card('Teams', num(u.teams.length), '', 'blue') +
          card('GPUs in use', num(inUse), 'by running jobs', 'blue') +
          card('GPU-hours', hours(u.gpuHours), 'this month', 'sky') +
          card('Cost', usd(u.costUsd), 'this month', 'sky'));
        keepFocus(function () {
          setHtml('teams-table-box', '<table class="sortable" id="teams-table"><thead><tr><th>Team</th><th>Quota</th><th>GPUs in use</th>' +
            '<th>Of quota</th><th>Running</th><th>Waiting</th><th>GPU-hours</th><th>Cost</th></tr></thead><tbody>' +
            u.teams.map(function (t) {
              var frac = t.quotaGpus ? t.gpusInUse / t.quotaGpus : null;
              return '<tr><td><a href="/jobs?team=' + encodeURIComponent(t.team) + '" data-key="team-' + esc(t.team) + '">' + esc(t.team) +
                '</a></td><td data-sort="' + (t.quotaGpus === null ? 1e18 : t.quotaGpus) + '">' + (t.quotaGpus === null ? 'unlimited' : num(t.quotaGpus)) +
                '</td><td data-sort="' + t.gpusInUse + '">' + num(t.gpusInUse) + '</td><td class="barcell" data-sort="' + (frac === null ? '' : frac) + '">' +
                (frac === null ? '<span class="muted">no quota</span>' : '<div class="hbar"><span>' + pct(frac) +
                  '</span><span class="track" role="img" aria-label="' + pct(frac) + ' of quota"><span class="fill" style="width:' +
                  Math.min(100, 100 * frac).toFixed(1) + '%"></span></span></div>') +
                '</td><td data-sort="' + t.runningJobs + '">' + t.runningJobs + '</td><td data-sort="' + t.waitingJobs + '">' + t.waitingJobs +
                '</td><td data-sort="' + t.gpuHours + '">' + hours(t.gpuHours) + '</td><td data-sort="' + t.costUsd + '">' + usd(t.costUsd) + '</td></tr>';
            }).join('') + '</tbody></table>');
        });
        setHtml('usage-chart', r[1]);
      });
    },
    relevant: function (ev) { return ev.type === 'team' || ev.type === 'job'; }
  };

  // ---- the scheduler's queue --------------------------------------------------------------------

  var schedulerPage = {
    nav: 'scheduler',
    title: 'Scheduler',
    frame: function () {
      return '<header class="top"><div class="kicker">gpufleet · controller</div><h1>Scheduler</h1>' +
        '<div class="sub">Jobs waiting for GPUs, each with when it should start (the scheduler run forward over the queue and the running jobs\' time limits) and why it waits. ' +
        'The queue is ordered by priority, then by submission.</div></header>' +
        '<p id="problem" class="problem" role="alert"></p><div class="cards" id="queue-cards"></div>' +
        '<section class="panel"><h2>Pending jobs</h2><div class="scroll" id="queue-box"></div></section>';
    },
    load: function () {
      return Promise.all([get('/api/v1/jobs'), get('/api/v1/fleet')]).then(function (r) {
        var t = now();
        var waiting = r[0].filter(function (j) { return WAITING.indexOf(j.state) >= 0; });
        waiting.sort(function (a, b) { return b.priority - a.priority || a.submitTime - b.submitTime || a.id - b.id; });
        var gpus = waiting.reduce(function (a, j) { return a + j.gpus; }, 0);
        var oldest = waiting.reduce(function (a, j) { return Math.max(a, t - (j.interruptedAt || j.submitTime)); }, 0);
        setHtml('queue-cards',
          card('Waiting jobs', num(waiting.length), num(gpus) + ' GPUs asked for', 'orange') +
          card('Longest wait', waiting.length ? dur(oldest) : '–', 'since submission or interruption', 'orange') +
          card('Free GPUs', num(r[1].gpus.free), 'of ' + num(r[1].gpuCount), 'grey') +
          card('Running jobs', num(Object.keys(r[1].jobs).length), '', 'blue'));
        keepFocus(function () {
          setHtml('queue-box', waiting.length === 0 ? '<p class="empty">Nothing is waiting.</p>' :
            '<table class="sortable" id="queue"><thead><tr><th>Position</th><th>Job</th><th class="l">Name</th><th class="l">Team</th><th class="l">State</th>' +
            '<th>Priority</th><th>GPUs</th><th>Waiting since</th><th>Waited</th><th class="l">Expected start</th><th class="l">Why it waits</th></tr></thead><tbody>' +
            waiting.map(function (j, i) {
              var since = j.interruptedAt || j.submitTime;
              return '<tr data-job="' + j.id + '"><td data-sort="' + (i + 1) + '">' + (i + 1) + '</td><td data-sort="' + j.id + '">' + jobLink(j.id) +
                '</td><td class="l">' + esc(j.name) + '</td><td class="l">' + esc(j.team) + '</td><td class="l" data-sort="' + j.state + '">' + badge(j.state) +
                '</td><td data-sort="' + j.priority + '">' + esc(priorityName(j.priority)) + '</td><td data-sort="' + j.gpus + '">' + num(j.gpus) +
                '</td><td data-sort="' + since + '">' + shortTime(since) + '</td><td data-sort="' + (t - since) + '">' + dur(t - since) +
                '</td><td class="start l" data-sort="' + (j.expectedStart === null || j.expectedStart === undefined ? Infinity : j.expectedStart) + '">' + expectedStart(j, t) +
                '</td><td class="reason">' + esc(j.waitReason || j.reason || 'not yet considered') + '</td></tr>';
            }).join('') + '</tbody></table>');
        });
      });
    },
    relevant: function (ev) { return true; }
  };

  // ---- history ----------------------------------------------------------------------------------

  var RANGES = ['1h', '6h', '24h', '7d', '90d'];
  var historyPage = {
    nav: 'history',
    title: 'History',
    range: function () {
      var r = new URLSearchParams(location.search).get('range');
      return RANGES.indexOf(r) >= 0 ? r : '24h';
    },
    frame: function () {
      var cur = this.range();
      return '<header class="top"><div class="kicker">gpufleet · controller</div><h1>History</h1>' +
        '<div class="sub">Allocation, goodput, the queue and each team\'s GPUs over time, as the controller sampled them.</div></header>' +
        '<p id="problem" class="problem" role="alert"></p>' +
        '<div class="filters" role="group" aria-label="Range" id="range-picker">' + RANGES.map(function (r) {
          return '<button type="button" data-range="' + r + '" data-key="range-' + r + '" aria-pressed="' + (r === cur) + '">' + r + '</button>';
        }).join('') + '</div><div id="history-box"></div>';
    },
    mount: function () {
      var self = this;
      document.getElementById('range-picker').addEventListener('click', function (e) {
        var b = e.target.closest('button[data-range]');
        if (!b) return;
        history.replaceState(null, '', '/history?range=' + b.getAttribute('data-range'));
        Array.prototype.forEach.call(document.querySelectorAll('#range-picker button'), function (x) {
          x.setAttribute('aria-pressed', String(x === b));
        });
        refresh();
      });
    },
    load: function () {
      return get('/ui/fragments/history?range=' + this.range(), 'text').then(function (html) {
        keepFocus(function () { setHtml('history-box', html); });
      });
    },
    relevant: function () { return false; }
  };

  var notFoundPage = {
    title: 'Not found',
    frame: function () {
      return '<h1>Not found</h1><p>No page at ' + esc(location.pathname) + '. <a href="/">The fleet</a>.</p>';
    },
    load: function () { return Promise.resolve(); },
    relevant: function () { return false; }
  };

  // ---- routing, refresh and the event stream ----------------------------------------------------

  var page = null;
  var timer = null;
  var busy = false;
  var again = false;

  function pageFor(path) {
    if (path === '/' || path === '') return fleetPage;
    if (path === '/jobs') return jobsPage;
    var m = /^\/jobs\/(\d+)$/.exec(path);
    if (m) return jobPage(+m[1]);
    if (path === '/teams') return teamsPage;
    if (path === '/scheduler') return schedulerPage;
    if (path === '/history') return historyPage;
    return notFoundPage;
  }

  function show(focusMain) {
    page = pageFor(location.pathname);
    document.title = page.title + ' · gpufleet';
    Array.prototype.forEach.call(document.querySelectorAll('[data-nav]'), function (a) {
      if (a.getAttribute('data-nav') === page.nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    main.innerHTML = page.frame();
    if (page.mount) page.mount();
    if (focusMain) main.focus({preventScroll: true});
    refresh();
  }

  /** Re-reads the page's data; calls that arrive while one runs coalesce into one more. */
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var p = page;
    p.load().then(function () {
      var box = document.getElementById('problem');
      if (box) box.textContent = '';
      fresh();
      main.setAttribute('data-loaded', String(Date.now()));
    }, failed).then(function () {
      busy = false;
      if (again && p === page) { again = false; refresh(); } else again = false;
    });
  }

  var pending = null;
  function nudge(ev) {
    if (!page || !page.relevant(ev)) return;
    if (pending) return;
    // a burst (a gang of 64 starting, 3,000 hosts registering) becomes one redraw
    pending = setTimeout(function () { pending = null; refresh(); }, 150);
  }

  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[href]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.indexOf('/api/') === 0 || url.pathname === '/metrics') return;
    e.preventDefault();
    history.pushState(null, '', url.pathname + url.search);
    show(true);
    window.scrollTo(0, 0);
  });
  window.addEventListener('popstate', function () { show(false); });

  /*
   * One event stream per visible page. A browser gives a host six HTTP/1.1 connections in all, and a
   * stream holds one for as long as it is open: streams kept by background tabs, or by pages parked
   * in the back-forward cache, would soon leave none for the page in front. So a page closes its
   * stream when it is hidden or left, and opens a new one (and re-reads everything) when it is back.
   */
  var es = null;
  var signedIn = false;

  function disconnect() {
    if (!es) return;
    es.close();
    es = null;
    live.textContent = 'paused';
    live.className = 'live off';
  }

  function connect() {
    if (es || document.hidden || !signedIn) return;
    es = new EventSource('/api/v1/events');
    es.addEventListener('hello', function () {
      live.textContent = staleSince ? 'stale' : 'live';
      live.className = 'live on';
      refresh(); // whatever happened while the stream was down
    });
    ['job', 'host', 'team'].forEach(function (type) {
      es.addEventListener(type, function (e) {
        var d = {};
        try { d = JSON.parse(e.data); } catch (x) { /* a nudge all the same */ }
        d.type = type;
        nudge(d);
      });
    });
    es.onerror = function () {
      live.textContent = staleSince ? 'stale' : 'reconnecting…';
      live.className = 'live off';
      refresh(); // is the controller there at all? If not, the page says its figures are stale
    };
  }

  document.addEventListener('visibilitychange', function () { if (document.hidden) disconnect(); else connect(); });
  window.addEventListener('pagehide', disconnect);
  window.addEventListener('pageshow', function () { connect(); });

  // clocks move even when nothing happens: ages, ETTR so far, heartbeats
  setInterval(function () { if (!document.hidden && signedIn) refresh(); }, 10000);

  // ---- which controller leads -------------------------------------------------------------------

  /*
   * Several controllers may share one database: one leads (it schedules and takes changes), the others
   * stand by, show what the leader committed and send changes to it. /healthz says which this one is and
   * where the leader is; the bar shows it, and a standby's page says plainly where changes go. A lone
   * controller's /healthz names no address, and the page shows nothing of it. Asked every few seconds:
   * a takeover shows without a reload.
   */
  var ROLE_EVERY_MS = 3000;
  var ha = null; // the last /healthz answer of a controller among several, else null
  var roleBox = document.getElementById('role');
  var haNote = document.getElementById('ha-note');

  function leaderLink(leader) {
    // the same page on the leader's dashboard (a session there needs its own sign-in if the host differs)
    var href = leader.replace(/\/+$/, '') + location.pathname + location.search;
    return '<a href="' + esc(href) + '" rel="external" data-leader="' + esc(leader) + '">' + esc(leader) + '</a>';
  }

  function standbyProblem() {
    return ha && ha.role === 'standby' ? (ha.leader
      ? 'This controller is a standby: changes go to the leader at ' + ha.leader + '. Make this one there.'
      : 'This controller is a standby and no controller leads at the moment (an election is under way): try again in a few seconds.')
      : null;
  }

  function drawRole() {
    if (!ha) {
      roleBox.hidden = true;
      haNote.hidden = true;
      return;
    }
    var lead = ha.role === 'leader';
    roleBox.hidden = false;
    roleBox.className = 'role ' + (lead ? 'leader' : 'standby');
    roleBox.setAttribute('data-role', ha.role);
    roleBox.title = (ha.address ? 'this controller: ' + ha.address + '; ' : '') + 'leader epoch ' + ha.epoch;
    roleBox.innerHTML = lead ? 'leader <span class="muted">(this controller)</span>'
      : 'standby · leader: ' + (ha.leader ? leaderLink(ha.leader) : 'none (election under way)');
    haNote.hidden = lead;
    haNote.innerHTML = lead ? '' : '<strong>Standby.</strong> This controller shows the fleet as the leader committed it ' +
      '(its view is refreshed every few seconds) and takes over if the leader stops. Changes (submitting, cancelling, ' +
      'draining, resuming) go to the leader' + (ha.leader ? ': ' + leaderLink(ha.leader) + '.' :
      ', and no controller leads at the moment (an election is under way).');
  }

  function askRole() {
    if (document.hidden) return;
    fetch('/api/v1/healthz', {headers: {Accept: 'application/json'}, cache: 'no-store'}).then(function (r) {
      return r.json();
    }).then(function (h) {
      var was = ha ? ha.role + ' ' + ha.leader + ' ' + ha.epoch : '';
      ha = h && h.address !== undefined && h.role ? h : null;
      if ((ha ? ha.role + ' ' + ha.leader + ' ' + ha.epoch : '') !== was) drawRole();
    }, function () { /* no answer: the live indicator already says the figures are stale */ });
  }

  setInterval(askRole, ROLE_EVERY_MS);
  document.addEventListener('visibilitychange', askRole);

  // ---- signing in -------------------------------------------------------------------------------

  /*
   * The pages are served to anyone; what they show needs a token. The browser gives it once, to
   * POST /api/v1/session, which keeps it in an HttpOnly cookie (out of this script's reach) that the
   * page's reads and its event stream present. The cookie authorizes reads only.
   */
  function signInForm(message) {
    signedIn = false;
    disconnect();
    document.title = 'Sign in · gpufleet';
    live.textContent = 'signed out';
    live.className = 'live off';
    main.innerHTML = '<section class="signin" aria-labelledby="signin-title"><h1 id="signin-title">Sign in</h1>' +
      '<p>The controller shows its fleet to holders of a token. A viewer token will do: an admin makes one with ' +
      '<code>gpufleet token create --role viewer --name NAME</code>. On the controller\'s own machine, the admin ' +
      'token is in <code>gpufleet-data/admin-token</code>.</p>' +
      '<p class="problem" id="signin-problem" role="alert">' + esc(message || '') + '</p>' +
      '<form id="signin"><label for="signin-token">Token</label> ' +
      '<input id="signin-token" type="password" autocomplete="off" spellcheck="false" required size="40"> ' +
      '<button type="submit">Sign in</button></form></section>';
    var input = document.getElementById('signin-token');
    input.focus();
    document.getElementById('signin').addEventListener('submit', function (e) {
      e.preventDefault();
      fetch('/api/v1/session', {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({token: input.value.trim()})}).then(function (r) {
        return r.json().then(function (b) { return {ok: r.ok, body: b}; });
      }).then(function (res) {
        if (res.ok) start();
        else setHtml('signin-problem', esc(errorMessage(res.body) || 'the token was not accepted'));
      }, function () {
        setHtml('signin-problem', 'the controller did not answer');
      });
    });
  }

  /** Who is signed in, in the bar, with a way out. */
  function showWho(me) {
    var who = document.getElementById('who');
    if (!who) {
      who = document.createElement('div');
      who.id = 'who';
      who.className = 'who';
      live.parentNode.insertBefore(who, live.nextSibling);
    }
    if (me.authentication === false) {
      who.innerHTML = '<span class="muted">authentication off</span>';
      return;
    }
    who.innerHTML = esc(me.name) + ' <span class="muted">' + esc(String(me.role).toLowerCase()) +
      (me.team ? ' of ' + esc(me.team) : '') + '</span> <button type="button" id="signout">Sign out</button>';
    document.getElementById('signout').addEventListener('click', function () {
      fetch('/api/v1/session', {method: 'DELETE'}).then(function () {
        who.innerHTML = '';
        signInForm();
      });
    });
  }

  function start() {
    get('/api/v1/whoami').then(function (who) {
      me = who;
      signedIn = true;
      showWho(who);
      show(false);
      connect();
    }, function (err) {
      signInForm(err.status === 401 ? '' : 'Could not ask the controller who you are: ' + err.message);
    });
  }

  window.gpufleetDashboard = {refresh: refresh};
  askRole();
  start();
})();
