// The catalog's only script: search on the index, charts on the data-quality page. Data comes from JSON data
// islands (<script type="application/json">) and is put into the page as text nodes and attributes only: no
// innerHTML, no eval. Charts are drawn by Observable Plot (assets/vendor/, bundled: no network).
(function () {
  "use strict";

  function island(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // ---- search -------------------------------------------------------------------------------------------------
  var index = island("search-index");
  var input = document.getElementById("search");
  var results = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var box = document.getElementById("search-box");
  if (index && input && results && status && box) {
    // The box is hidden in the page: without script it could only do nothing.
    box.hidden = false;
    var LIMIT = 50;
    var search = function () {
      var query = input.value.trim().toLowerCase();
      results.replaceChildren();
      if (query === "") {
        status.textContent = "";
        return;
      }
      var byName = [];
      var byText = [];
      index.forEach(function (item) {
        if (item.title.toLowerCase().indexOf(query) >= 0) byName.push(item);
        else if (item.description.toLowerCase().indexOf(query) >= 0) byText.push(item);
      });
      var matches = byName.concat(byText);
      matches.slice(0, LIMIT).forEach(function (item) {
        var li = document.createElement("li");
        li.className = "search-result";
        li.dataset.kind = item.kind;
        var link = document.createElement("a");
        link.setAttribute("href", item.href);
        link.textContent = item.title;
        var kind = document.createElement("span");
        kind.className = "badge";
        kind.textContent = item.kind;
        var description = document.createElement("span");
        description.className = "muted";
        description.textContent = item.description;
        li.append(link, " ", kind, " ", description);
        results.append(li);
      });
      status.textContent =
        matches.length === 0 ? "No match." : matches.length + (matches.length === 1 ? " match" : " matches") + (matches.length > LIMIT ? ", the first " + LIMIT + " shown." : ".");
    };
    input.addEventListener("input", search);
    if (input.value) search();
  }

  // ---- print --------------------------------------------------------------------------------------------------
  // Closed <details> (input files, the numbers of each chart) are opened for printing and closed again after; the
  // print styles show their content too, where the browser supports ::details-content.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.open = true;
      openedForPrint.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (details) {
      details.open = false;
    });
    openedForPrint = [];
  });

  // ---- charts -------------------------------------------------------------------------------------------------
  var quality = island("quality-data");
  if (!quality || typeof Plot === "undefined") return;
  var INK = "#1d4f7a";
  // Rules (the zero line, the stems) repeat what the bars and dots say: hidden from assistive technology, which
  // also keeps Plot's aria-label off a role-less <g> (axe-core: aria-prohibited-attr).

  // The chart replaces the one drawn before it (a redraw at a new width), before the figure's numbers table.
  function place(figure, chart) {
    chart.setAttribute("role", "img");
    chart.setAttribute("data-drawn", "");
    var drawn = figure.querySelector(":scope > [data-drawn]");
    if (drawn) figure.replaceChild(chart, drawn);
    else figure.insertBefore(chart, figure.querySelector("details"));
  }

  // Drawn at the figure's own width: at Plot's default 640 px a chart scaled down to a phone's width set its text at
  // about 5 px. Drawn at load, and again when the figure's width changes (a window resized, a phone turned).
  function widthOf(figure) {
    return Math.max(240, Math.round(figure.clientWidth || 640));
  }

  // A reason code longer than the left margin holds is cut with an ellipsis; the bar's title and the numbers
  // table beside the chart give it whole.
  function fitLabel(chars) {
    return function (text) {
      return text.length <= chars ? text : text.slice(0, Math.max(1, chars - 1)) + "\u2026";
    };
  }

  function utcDay(text) {
    return new Date(text + "T00:00:00Z");
  }

  // Whole-number axes: every integer as a tick while there are few, so small counts do not repeat a rounded tick.
  function countTicks(max) {
    return max <= 10 ? d3.range(0, max + 1) : undefined;
  }

  function maxOf(rows, key) {
    return rows.reduce(function (n, row) { return Math.max(n, row[key]); }, 0);
  }

  function draw(figure, width) {
    var dataset = figure.dataset.dataset;
    if (figure.dataset.chart === "reasons") {
      var entry = quality.reasons.find(function (r) { return r.dataset === dataset; });
      if (!entry) return;
      var longest = entry.bars.reduce(function (n, b) { return Math.max(n, b.reason.length); }, 0);
      var marginLeft = Math.min(320, 12 + longest * 7, Math.round(width * 0.45));
      place(
        figure,
        Plot.plot({
          ariaLabel: "Quarantine reasons of " + dataset,
          ariaDescription: entry.bars.map(function (b) { return b.reason + ": " + b.records; }).join("; "),
          width: width,
          marginLeft: marginLeft,
          marginRight: 40,
          height: 40 + entry.bars.length * 24,
          x: { label: "records", grid: true, tickFormat: "d", ticks: countTicks(maxOf(entry.bars, "records")) },
          y: { label: null, domain: entry.bars.map(function (b) { return b.reason; }), tickFormat: fitLabel(Math.floor((marginLeft - 12) / 7)) },
          marks: [
            Plot.barX(entry.bars, { x: "records", y: "reason", fill: INK, title: function (b) { return b.reason + ": " + b.records; } }),
            Plot.text(entry.bars, { x: "records", y: "reason", text: "records", dx: 6, textAnchor: "start" }),
            Plot.ruleX([0], { ariaHidden: true }),
          ],
        }),
      );
    } else if (figure.dataset.chart === "series") {
      var series = quality.series.find(function (s) { return s.dataset === dataset && s.table === figure.dataset.table; });
      if (!series) return;
      place(
        figure,
        Plot.plot({
          ariaLabel: "Rows of " + series.table + " per " + series.column,
          ariaDescription: series.points.map(function (p) { return p.date + ": " + p.rows; }).join("; "),
          width: width,
          marginLeft: 48,
          height: 260,
          x: { type: "utc", label: series.column },
          y: { label: "rows", grid: true, zero: true, tickFormat: "d", ticks: countTicks(maxOf(series.points, "rows")) },
          // Partitions are sparse days: a stem per day with rows, not a line that would suggest the days between.
          marks: [
            Plot.ruleX(series.points, { x: function (p) { return utcDay(p.date); }, y: "rows", stroke: INK, ariaHidden: true }),
            Plot.dot(series.points, { x: function (p) { return utcDay(p.date); }, y: "rows", fill: INK, r: 4, title: function (p) { return p.date + ": " + p.rows + " rows"; } }),
          ],
        }),
      );
    }
  }

  var figures = Array.prototype.slice.call(document.querySelectorAll("figure[data-chart]"));
  var drawnAt = new Map();
  function drawAll() {
    figures.forEach(function (figure) {
      var width = widthOf(figure);
      if (drawnAt.get(figure) === width) return;
      drawnAt.set(figure, width);
      draw(figure, width);
    });
  }
  drawAll();
  // Once the resizing has settled: a window dragged wider fires many events.
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(drawAll, 150);
  });
})();
