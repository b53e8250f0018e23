// Agent console: queue and figures refresh every few seconds; an open conversation streams its
// transcript over Server-Sent Events. Everything is rendered with textContent (never innerHTML):
// transcripts are written by strangers.
(function () {
  "use strict";

  function meta(name) { return document.querySelector('meta[name="' + name + '"]').content; }
  var csrf = meta("csrf-token");
  var myId = Number(meta("agent-id"));
  var timeZone = meta("time-zone") || undefined;
  var QUEUE_REFRESH_MS = 3000;
  var SEARCH_DELAY_MS = 250;
  var current = null; // {conversationId, channel, handoff}
  var stream = null;
  var lastId = 0;
  var seen = new Set();
  var lastQueue = { queue: [], live: [] };
  var searchTimer = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function money(minor, currency) {
    if (currency === null || currency === undefined) return "";
    try {
      return new Intl.NumberFormat("en-GB", { style: "currency", currency: currency }).format(minor / 100);
    } catch (e) {
      return (minor / 100).toFixed(2) + " " + currency;
    }
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "-";
    if (seconds < 60) return seconds + "s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  // 24-hour times in the support desk's zone; the day too when it is not today there.
  var timeFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: timeZone });
  var dayFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: timeZone });
  function clock(iso) {
    var moment = new Date(iso);
    var day = dayFormat.format(moment);
    return (day === dayFormat.format(new Date()) ? "" : day + " ") + timeFormat.format(moment);
  }

  function loginAgain() { window.location.assign("/console/login"); }

  function getJson(path) {
    return fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (reply) {
      if (reply.status === 401) { loginAgain(); throw new Error("logged out"); }
      return reply.json();
    });
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    }).then(function (reply) {
      if (reply.status === 401) { loginAgain(); throw new Error("logged out"); }
      return reply.json().then(function (data) { return { status: reply.status, data: data }; });
    });
  }

  function notice(text) { $("notice").textContent = text || ""; }

  var alerts = window.consoleAlerts(myId, function (item) { openConversation(item.conversation_id); });
  var unread = alerts.unread, markRead = alerts.markRead, announceNewcomers = alerts.announceNewcomers;

  // --- queue, live conversations, search results, figures ------------------------------------------

  function card(item, className, lines) {
    var li = el("li", className);
    li.dataset.conversationId = item.conversation_id;
    if (current && current.conversationId === item.conversation_id) li.setAttribute("aria-current", "true");
    var open = el("button", "queue-item__open");
    open.type = "button";
    var head = el("span", "queue-item__head");
    head.appendChild(el("span", "queue-item__shopper", item.shopper));
    var count = unread(item);
    if (count && !(current && current.conversationId === item.conversation_id)) {
      var badge = el("span", "unread", count);
      badge.setAttribute("aria-label", count + " unread");
      head.appendChild(badge);
    }
    open.appendChild(head);
    open.appendChild(el("span", "badge", item.channel));
    lines.filter(Boolean).forEach(function (line) { open.appendChild(el("span", "queue-item__meta", line)); });
    if (item.last_message) open.appendChild(el("span", "queue-item__last", item.last_message));
    open.addEventListener("click", function () { openConversation(item.conversation_id); });
    li.appendChild(open);
    return li;
  }

  function queueEntry(item) {
    var lines;
    if (item.state === "active") {
      lines = ["with " + (item.agent_name || "an agent"),
        item.reason === "agent_took_over" ? "taken over by an agent" : item.reason_label + " · waited " + duration(item.wait_seconds)];
    } else if (item.state === "message") {
      lines = ["left a message · " + duration(item.wait_seconds) + " ago"];
    } else {
      lines = [item.reason_label + " · waiting " + duration(item.wait_seconds)];
    }
    var li = card(item, "queue-item queue-item--" + item.state, lines);
    li.dataset.handoffId = item.handoff_id;
    return li;
  }

  function liveEntry(conversation) {
    return card(conversation, "live-item", [clock(conversation.last_at)]);
  }

  function renderChart(figures) {
    var svgNs = "http://www.w3.org/2000/svg";
    var bars = [
      { label: "Assistant", value: figures.resolved_by_assistant, className: "bar--assistant" },
      { label: "Agents", value: figures.resolved_by_agents, className: "bar--agents" },
    ];
    var max = Math.max(1, bars[0].value, bars[1].value);
    var svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 220 64");
    svg.setAttribute("role", "img");
    var title = document.createElementNS(svgNs, "title");
    title.textContent = "Resolved by the assistant: " + bars[0].value + "; by agents: " + bars[1].value;
    svg.appendChild(title);
    bars.forEach(function (bar, index) {
      var y = 6 + index * 30;
      var width = Math.max(2, (bar.value / max) * 120);
      [["text", { x: 0, y: y + 15 }, bar.label], ["rect", { x: 70, y: y, height: 20, width: width, class: bar.className }],
        ["text", { x: 76 + width, y: y + 15, class: "bar__value" }, String(bar.value)]].forEach(function (spec) {
        var node = document.createElementNS(svgNs, spec[0]);
        Object.keys(spec[1]).forEach(function (name) { node.setAttribute(name, String(spec[1][name])); });
        if (spec[2]) node.textContent = spec[2];
        svg.appendChild(node);
      });
    });
    $("fig-chart").replaceChildren(svg);
    $("fig-chart-label").textContent = "resolved, last " + figures.period_days + " days";
  }

  function renderFigures(figures) {
    // Left messages are shoppers waiting for an answer too.
    $("fig-waiting").textContent = String(figures.waiting_now + figures.messages_waiting);
    $("fig-waiting-note").textContent = figures.messages_waiting
      ? figures.messages_waiting + (figures.messages_waiting === 1 ? " message" : " messages") : "";
    $("fig-median").textContent = duration(figures.median_wait_seconds);
    $("fig-today").textContent = String(figures.handoffs_today);
    renderChart(figures);
  }

  function renderLists() {
    $("queue").replaceChildren.apply($("queue"), lastQueue.queue.map(queueEntry));
    $("queue-empty").hidden = lastQueue.queue.length > 0;
    $("live").replaceChildren.apply($("live"), lastQueue.live.map(liveEntry));
  }

  function refreshQueue() {
    return getJson("/console/api/queue").then(function (data) {
      lastQueue = data;
      if (current) {
        data.queue.concat(data.live).forEach(function (item) {
          if (item.conversation_id === current.conversationId) markRead(item.conversation_id, item.user_lines);
        });
      }
      renderLists();
      renderFigures(data.figures);
      announceNewcomers(data.queue);
      var waiting = data.figures.waiting_now + data.figures.messages_waiting;
      document.title = (waiting ? "(" + waiting + ") " : "") + "Agent console";
      var availability = data.availability;
      $("availability").textContent =
        (availability.status === "outside_hours" ? "Outside support hours" : availability.agents_online + " agent(s) online") +
        " - " + availability.support_hours;
      if (current) {
        var mine = data.queue.filter(function (item) { return item.conversation_id === current.conversationId; })[0];
        var state = mine ? mine.state : null;
        if (state !== (current.handoff && current.handoff.state)) loadConversation(current.conversationId);
      }
    }).catch(function () { /* next refresh tries again */ });
  }

  // Search: the server finds conversations by name, phone or order reference; the lists on screen
  // are matched too, so an anonymous web visitor is found by the words on their card.
  function runSearch() {
    var query = $("search").value.trim();
    var searching = query.length >= 2;
    $("results-section").hidden = !searching;
    $("lists-section").hidden = searching;
    if (!searching) return;
    getJson("/console/api/search?q=" + encodeURIComponent(query)).then(function (data) {
      if ($("search").value.trim() !== query) return;
      var needle = query.toLowerCase();
      var found = {};
      var results = [];
      data.results.concat(lastQueue.queue, lastQueue.live).forEach(function (item) {
        var local = (item.shopper + " " + (item.last_message || "")).toLowerCase().indexOf(needle) >= 0;
        var fromServer = data.results.indexOf(item) >= 0;
        if ((fromServer || local) && !found[item.conversation_id]) {
          found[item.conversation_id] = true;
          results.push(item);
        }
      });
      $("results").replaceChildren.apply($("results"), results.map(function (item) {
        return card(item, "result-item", [item.last_at ? clock(item.last_at) : item.reason_label]);
      }));
      $("results-empty").hidden = results.length > 0;
    }).catch(function () { /* the next keystroke tries again */ });
  }

  $("search").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
  });
  $("search-form").addEventListener("submit", function (event) { event.preventDefault(); runSearch(); });

  // --- one conversation -------------------------------------------------------------------------

  function addLine(line) {
    if (seen.has(line.id)) return;
    seen.add(line.id);
    lastId = Math.max(lastId, line.id);
    var payload = line.payload || {};
    // A shopper's line moved to where its turn began: the copy at its arrival place goes.
    var earlier = payload.moved_from ? $("transcript").querySelector('li[data-id="' + payload.moved_from + '"]') : null;
    if (earlier) earlier.remove();
    // "Sam Taylor joined the chat" / "... left the chat" are notes about the conversation, not lines of it.
    var li = el("li", "line line--" + (payload.event ? "note" : line.author));
    li.dataset.id = line.id;
    var who = line.author === "user" ? "Shopper" : line.author === "bot" ? "Assistant" : (payload.agent || "Agent");
    var time = el("time", "line__meta", payload.event ? clock(line.created_at) : who + " · " + clock(line.created_at));
    time.dateTime = line.created_at;
    li.appendChild(time);
    li.appendChild(el("span", "line__text", line.text || (line.payload ? "[attachment]" : "")));
    if (line.payload && line.payload.buttons && line.payload.buttons.length) {
      li.appendChild(el("span", "line__options", "Options: " + line.payload.buttons.map(function (b) { return b.title; }).join(" | ")));
    }
    var box = $("transcript");
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.appendChild(li);
    if (atBottom || line.author !== "user") box.scrollTop = box.scrollHeight;
  }

  function renderDetails(overview) {
    var cart = overview.cart;
    var cartBox = $("cart");
    cartBox.replaceChildren();
    if (!cart.lines.length) {
      cartBox.appendChild(el("p", "muted", "Empty"));
    } else {
      var list = el("ol", "list");
      cart.lines.forEach(function (line) {
        var options = [line.colour, line.size].filter(Boolean).join(", ");
        list.appendChild(el("li", "cart-line", line.quantity + " x " + line.name + (options ? " (" + options + ")" : "") + " - " + money(line.line_total_minor, line.currency)));
      });
      cartBox.appendChild(list);
      cartBox.appendChild(el("p", "cart-total", "Total " + money(cart.total_minor, cart.currency)));
    }
    $("orders").replaceChildren.apply($("orders"), overview.orders.length ? overview.orders.map(function (order) {
      var li = el("li", "order");
      li.appendChild(el("span", "ref", order.reference));
      li.appendChild(document.createTextNode(" " + order.status.replace("_", " ") + " · " + order.store_name + " · " + money(order.total_minor, order.currency)));
      return li;
    }) : [el("li", "muted", "None")]);
  }

  function renderHead(overview) {
    var handoff = overview.handoff;
    current.handoff = handoff;
    current.channel = overview.channel || (handoff && handoff.channel);
    $("shopper").textContent = overview.shopper;
    $("channel").textContent = current.channel || "";
    var state = handoff ? handoff.state : "assistant";
    var open = handoff && (handoff.state === "waiting" || handoff.state === "active" || handoff.state === "message");
    if (!open) state = "with assistant";
    $("state").textContent = state;
    $("state").dataset.state = open ? handoff.state : "assistant";
    var mine = open && handoff.state === "active" && handoff.agent_id === myId;
    var theirs = open && handoff.state === "active" && handoff.agent_id !== myId;
    $("owner").textContent = theirs ? "with " + (handoff.agent_name || "another agent") : mine ? "you own this conversation" : (open ? handoff.reason_label : "");
    $("take").hidden = mine || theirs;
    $("hand-back").hidden = !mine;
    $("close").hidden = !(mine || (open && handoff.state !== "active"));
    // The reply box stays in place; it only works for the agent who owns the conversation.
    $("reply-text").disabled = !mine;
    $("send").disabled = !mine;
    $("reply-text").placeholder = mine ? "Type a reply to the shopper..." : theirs ? "Another agent has this conversation" : "Take the conversation to reply";
  }

  function loadConversation(conversationId) {
    return getJson("/console/api/conversation?conversation_id=" + encodeURIComponent(conversationId)).then(function (overview) {
      if (!current || current.conversationId !== conversationId) return;
      renderHead(overview);
      overview.messages.forEach(addLine);
      renderDetails(overview);
      markRead(conversationId, overview.messages.filter(function (m) { return m.author === "user"; }).length);
      renderLists();
    });
  }

  function openConversation(conversationId) {
    if (stream) stream.close();
    current = { conversationId: conversationId, channel: null, handoff: null };
    lastId = 0;
    seen = new Set();
    $("transcript").replaceChildren();
    notice("");
    // Until the conversation has loaded nobody knows what Take would take: a click then sent neither
    // the queued session nor the channel (a 400).
    ["take", "hand-back", "close"].forEach(function (id) { $(id).hidden = true; });
    $("shopper").textContent = "";
    $("conversation").hidden = false;
    $("pick").hidden = true;
    document.body.dataset.view = "conversation";
    loadConversation(conversationId).then(function () {
      if (!current || current.conversationId !== conversationId) return;
      stream = new EventSource("/console/api/stream?conversation_id=" + encodeURIComponent(conversationId) + "&after=" + lastId);
      stream.onmessage = function (event) { addLine(JSON.parse(event.data)); };
    });
  }

  $("back").addEventListener("click", function () {
    document.body.dataset.view = "list";
    var item = document.querySelector('[aria-current="true"] button');
    if (item) item.focus();
  });

  function act(path, body, done) {
    return post(path, body).then(function (result) {
      if (result.status >= 400) notice(result.data.error || ("failed: " + result.data.status));
      else if (done) notice(done(result.data));
      refreshQueue();
      return loadConversation(current.conversationId).then(function () { return result; });
    });
  }

  $("take").addEventListener("click", function () {
    var handoff = current.handoff;
    var open = handoff && (handoff.state === "waiting" || handoff.state === "message");
    var body = open ? { handoff_id: handoff.id } : { conversation_id: current.conversationId, channel: current.channel };
    act("/console/api/take", body, function () { return "You have this conversation; the assistant is paused."; })
      .then(function () { $("reply-text").focus(); });
  });
  $("hand-back").addEventListener("click", function () {
    act("/console/api/hand-back", { handoff_id: current.handoff.id }, function () { return "Handed back to the assistant."; });
  });
  $("close").addEventListener("click", function () {
    act("/console/api/close", { handoff_id: current.handoff.id }, function () { return "Closed."; });
  });
  $("reply-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var box = $("reply-text");
    var text = box.value.trim();
    if (!text || box.disabled) return;
    $("send").disabled = true;
    post("/console/api/reply", { conversation_id: current.conversationId, text: text }).then(function (result) {
      if (result.status >= 400) {
        notice(result.data.error);
      } else {
        box.value = "";
        var status = result.data.status;
        notice(status === "delivered" || status === "sent" ? "" : "Not sent to the shopper: " + status + (result.data.reason ? " - " + result.data.reason : ""));
      }
    }).finally(function () { $("send").disabled = box.disabled; box.focus(); });
  });
  $("reply-text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  refreshQueue();
  setInterval(refreshQueue, QUEUE_REFRESH_MS);
})();
