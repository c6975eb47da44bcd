/*
 * gpufleet's shared page behaviour, one source for the twin's report.html (inlined) and the
 * controller's dashboard (served as /ui/gpufleet.js): sortable tables and times in the viewer's
 * time zone. Pages work without it; it only adds. No libraries, no network.
 *
 *  - <table class="sortable">: every header becomes a button (Tab, Enter or Space sorts, as a click
 *    does); a cell's data-sort attribute, when present, is what it sorts by, so "12.3k" and "4.5 h"
 *    sort as numbers. A table with an id keeps its order when the page redraws it.
 *  - <time datetime="ISO-8601 UTC">: shown in the viewer's zone, with the UTC time as its title.
 */
(function () {
  'use strict';
  var gf = window.gpufleet = window.gpufleet || {};
  var orders = gf.sortOrders = gf.sortOrders || {}; // table id -> {col, dir}

  function key(cell) {
    if (!cell) return '';
    var v = cell.getAttribute('data-sort');
    return v !== null ? v : cell.textContent.trim();
  }

  function numeric(rows, col) {
    for (var i = 0; i < rows.length; i++) {
      var k = key(rows[i].cells[col]);
      if (k !== '' && !isFinite(Number(k))) return false;
    }
    return true;
  }

  function sortRows(table, col, dir) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var asNumber = numeric(rows, col);
    var indexed = rows.map(function (r, i) { return {r: r, i: i, k: key(r.cells[col])}; });
    indexed.sort(function (a, b) {
      var c;
      if (asNumber) {
        // an empty key (no value) sorts first
        var x = a.k === '' ? -Number.MAX_VALUE : Number(a.k), y = b.k === '' ? -Number.MAX_VALUE : Number(b.k);
        c = x < y ? -1 : x > y ? 1 : 0;
      } else {
        c = a.k.localeCompare(b.k, undefined, {numeric: true, sensitivity: 'base'});
      }
      return c !== 0 ? c * dir : a.i - b.i;
    });
    indexed.forEach(function (e) { body.appendChild(e.r); });
    var ths = table.tHead ? table.tHead.rows[0].cells : [];
    for (var j = 0; j < ths.length; j++) {
      ths[j].setAttribute('aria-sort', j === col ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }

  /** Makes a table's headers sort it; idempotent, and re-applies a remembered order. */
  gf.sortable = function (table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    var ths = table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) {
      (function (th, col) {
        if (th.querySelector('button.sort') || !th.textContent.trim()) return;
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'sort';
        while (th.firstChild) b.appendChild(th.firstChild);
        th.appendChild(b);
        th.setAttribute('aria-sort', 'none');
        b.addEventListener('click', function () {
          var now = orders[table.id] || (table._gfOrder || {});
          var dir = now.col === col ? -now.dir : (th.hasAttribute('data-desc') ? -1 : 1);
          var o = {col: col, dir: dir};
          if (table.id) orders[table.id] = o;
          table._gfOrder = o;
          sortRows(table, col, dir);
        });
      })(ths[i], i);
    }
    var remembered = table.id && orders[table.id];
    if (remembered) sortRows(table, remembered.col, remembered.dir);
  };

  var local = null;
  function pad(n) { return (n < 10 ? '0' : '') + n; }

  /** "2026-11-30 02:18:15 UTC" for a Date. */
  gf.utc = function (d) {
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  };

  /** The Date in the viewer's zone, to the second. */
  gf.local = function (d) {
    if (!local) local = new Intl.DateTimeFormat(undefined, {year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short'});
    return local.format(d);
  };

  var clock = null, dayClock = null;
  /**
   * The Date in the viewer's zone as a table row wants it: the clock alone for today, the day and
   * clock before; the zone is the page's, said once in its full times.
   */
  gf.short = function (d) {
    if (!clock) {
      clock = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false});
      dayClock = new Intl.DateTimeFormat(undefined, {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false});
    }
    return new Date().toDateString() === d.toDateString() ? clock.format(d) : dayClock.format(d);
  };

  /**
   * Shows a <time datetime> in the viewer's zone, UTC on hover; with a data-short attribute, briefly
   * (gf.short), the full local time and UTC on hover.
   */
  gf.localTime = function (el) {
    var d = new Date(el.getAttribute('datetime'));
    if (!isFinite(d.getTime())) return;
    if (el.hasAttribute('data-short')) {
      el.textContent = gf.short(d);
      el.title = gf.local(d) + ' · ' + gf.utc(d);
      return;
    }
    el.textContent = gf.local(d);
    el.title = gf.utc(d);
  };

  /** Everything above, for the elements under root. */
  gf.enhance = function (root) {
    var r = root || document;
    Array.prototype.forEach.call(r.querySelectorAll('table.sortable'), gf.sortable);
    Array.prototype.forEach.call(r.querySelectorAll('time[datetime]'), gf.localTime);
  };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { gf.enhance(document); });
  } else {
    gf.enhance(document);
  }
})();
