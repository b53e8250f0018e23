// The shopping funnel per day: today's figures, a bar chart of the last 7 days and the same figures
// as a table (the chart's text alternative). Refreshed every 30 s; rendered with textContent only.
(function () {
  "use strict";

  var REFRESH_MS = 30000;
  var LABELS = {
    conversations: "Conversations", stock_questions: "Stock questions", basket_adds: "Basket adds",
    orders_placed: "Orders placed", payments_received: "Payments received", handoffs: "Handoffs",
  };
  var timeZone = document.querySelector('meta[name="time-zone"]').content || undefined;
  var dayFormat = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  var clockFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", day: "numeric", month: "short", hourCycle: "h23", timeZone: timeZone });

  function $(id) { return document.getElementById(id); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  // A day "2026-12-07" is a calendar date in the desk's zone already: formatted as a UTC date, it stays that date.
  function dayLabel(iso) { return dayFormat.format(new Date(iso + "T00:00:00Z")); }

  function renderToday(data) {
    var today = data.days[data.days.length - 1];
    $("funnel-today").replaceChildren.apply($("funnel-today"), data.stages.map(function (stage) {
      var figure = el("div", "figure");
      figure.id = "today-" + stage;
      figure.appendChild(el("span", "figure__value", today[stage]));
      figure.appendChild(el("span", "figure__label", LABELS[stage] || stage));
      return figure;
    }));
  }

  function renderChart(data) {
    var svgNs = "http://www.w3.org/2000/svg";
    var width = 700, height = 220, top = 10, bottom = 24, left = 30;
    var groupWidth = (width - left) / data.days.length, barWidth = (groupWidth - 12) / data.stages.length;
    var max = 1;
    data.days.forEach(function (day) { data.stages.forEach(function (stage) { max = Math.max(max, day[stage]); }); });
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", "funnel-chart-title");
    var title = document.createElementNS(svgNs, "title");
    title.id = "funnel-chart-title";
    title.textContent = "Funnel per day, last " + data.days.length + " days; the table below gives every figure";
    svg.appendChild(title);
    function add(tag, attributes, text) {
      var node = document.createElementNS(svgNs, tag);
      Object.keys(attributes).forEach(function (name) { node.setAttribute(name, String(attributes[name])); });
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    }
    add("text", { x: 0, y: top + 10, class: "funnel__axis" }, String(max));
    add("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom, class: "funnel__base" });
    data.days.forEach(function (day, dayIndex) {
      var x0 = left + dayIndex * groupWidth + 6;
      data.stages.forEach(function (stage, stageIndex) {
        var barHeight = (day[stage] / max) * (height - top - bottom);
        add("rect", { x: x0 + stageIndex * barWidth, y: height - bottom - barHeight, width: Math.max(1, barWidth - 2),
          height: Math.max(day[stage] ? 1 : 0, barHeight), class: "bar--" + stage });
      });
      add("text", { x: x0, y: height - 6, class: "funnel__axis" }, dayLabel(day.day));
    });
    $("funnel-chart").replaceChildren(svg);
    $("funnel-legend").replaceChildren.apply($("funnel-legend"), data.stages.map(function (stage) {
      var item = el("span", "funnel__key");
      item.appendChild(el("span", "funnel__swatch bar--" + stage));
      item.appendChild(document.createTextNode(LABELS[stage] || stage));
      return item;
    }));
  }

  function renderTable(data) {
    var head = [el("th", "", "Day")].concat(data.stages.map(function (stage) { return el("th", "num", LABELS[stage] || stage); }));
    head.forEach(function (cell) { cell.scope = "col"; });
    $("funnel-head").replaceChildren.apply($("funnel-head"), head);
    $("funnel-rows").replaceChildren.apply($("funnel-rows"), data.days.slice().reverse().map(function (day) {
      var row = el("tr");
      row.dataset.day = day.day;
      var name = el("th", "", dayLabel(day.day));
      name.scope = "row";
      row.appendChild(name);
      data.stages.forEach(function (stage) { row.appendChild(el("td", "num", day[stage])); });
      return row;
    }));
  }

  function render(data) {
    renderToday(data);
    renderChart(data);
    renderTable(data);
    $("funnel-freshness").textContent = data.last_recorded_at
      ? "Last counted " + clockFormat.format(new Date(data.last_recorded_at)) + "."
      : "Nothing counted yet.";
  }

  function refresh() {
    return fetch("/console/api/funnel", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) {
        if (reply.status === 401) { window.location.assign("/console/login"); throw new Error("logged out"); }
        return reply.json();
      })
      .then(render)
      .catch(function () { /* the next refresh tries again */ });
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
