// Agent console: queue and figures refresh every few seconds; an open conversation streams its
// transcript over Server-Sent Events. Everything is rendered with textContent (never innerHTML):
// transcripts are written by strangers.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var myId = Number(document.querySelector('meta[name="agent-id"]').content);
  var QUEUE_REFRESH_MS = 3000;
  var current = null; // {conversationId, channel, handoff}
  var stream = null;
  var lastId = 0;
  var seen = new Set();

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
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function clock(iso) {
    var moment = new Date(iso);
    return moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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

  // --- queue, live conversations, figures ---------------------------------------------------------

  function queueEntry(item) {
    var li = el("li", "queue-item queue-item--" + item.state);
    li.dataset.conversationId = item.conversation_id;
    li.dataset.handoffId = item.handoff_id;
    var open = el("button", "queue-item__open");
    open.type = "button";
    open.appendChild(el("span", "queue-item__shopper", item.shopper));
    open.appendChild(el("span", "badge", item.channel));
    var status = item.state === "active" ? "with " + (item.agent_name || "an agent") : item.state === "message" ? "left a message" : "waiting";
    open.appendChild(el("span", "queue-item__state", status));
    open.appendChild(el("span", "queue-item__wait", (item.state === "active" ? "waited " : "") + duration(item.wait_seconds)));
    open.appendChild(el("span", "queue-item__reason", item.reason_label));
    if (item.last_message) open.appendChild(el("span", "queue-item__last", item.last_message));
    open.addEventListener("click", function () { openConversation(item.conversation_id); });
    li.appendChild(open);
    return li;
  }

  function liveEntry(conversation) {
    var li = el("li", "live-item");
    li.dataset.conversationId = conversation.conversation_id;
    var open = el("button", "queue-item__open");
    open.type = "button";
    open.appendChild(el("span", "queue-item__shopper", conversation.shopper));
    open.appendChild(el("span", "badge", conversation.channel));
    open.appendChild(el("span", "queue-item__wait", clock(conversation.last_at)));
    if (conversation.last_message) open.appendChild(el("span", "queue-item__last", conversation.last_message));
    open.addEventListener("click", function () { openConversation(conversation.conversation_id); });
    li.appendChild(open);
    return li;
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
      var label = document.createElementNS(svgNs, "text");
      label.setAttribute("x", "0");
      label.setAttribute("y", String(y + 15));
      label.textContent = bar.label;
      var rect = document.createElementNS(svgNs, "rect");
      rect.setAttribute("x", "70");
      rect.setAttribute("y", String(y));
      rect.setAttribute("height", "20");
      rect.setAttribute("width", String(Math.max(2, (bar.value / max) * 120)));
      rect.setAttribute("class", bar.className);
      var value = document.createElementNS(svgNs, "text");
      value.setAttribute("x", String(76 + Math.max(2, (bar.value / max) * 120)));
      value.setAttribute("y", String(y + 15));
      value.setAttribute("class", "bar__value");
      value.textContent = String(bar.value);
      svg.appendChild(label);
      svg.appendChild(rect);
      svg.appendChild(value);
    });
    var holder = $("fig-chart");
    holder.replaceChildren(svg);
    $("fig-chart-label").textContent = "resolved, last " + figures.period_days + " days";
  }

  function refreshQueue() {
    return getJson("/console/api/queue").then(function (data) {
      $("queue").replaceChildren.apply($("queue"), data.queue.map(queueEntry));
      $("queue-empty").hidden = data.queue.length > 0;
      $("live").replaceChildren.apply($("live"), data.live.map(liveEntry));
      var figures = data.figures;
      $("fig-waiting").textContent = String(figures.waiting_now);
      $("fig-median").textContent = duration(figures.median_wait_seconds);
      $("fig-today").textContent = String(figures.handoffs_today);
      renderChart(figures);
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

  // --- one conversation -------------------------------------------------------------------------

  function addLine(line) {
    if (seen.has(line.id)) return;
    seen.add(line.id);
    lastId = Math.max(lastId, line.id);
    var li = el("li", "line line--" + line.author);
    li.dataset.id = line.id;
    var meta = el("span", "line__meta", (line.author === "user" ? "Shopper" : line.author === "bot" ? "Assistant" : "Agent") + " · " + clock(line.created_at));
    li.appendChild(meta);
    li.appendChild(el("span", "line__text", line.text || (line.payload ? "[attachment]" : "")));
    if (line.payload && line.payload.buttons && line.payload.buttons.length) {
      li.appendChild(el("span", "line__options", "Options: " + line.payload.buttons.map(function (b) { return b.title; }).join(" | ")));
    }
    $("transcript").appendChild(li);
    li.scrollIntoView({ block: "end" });
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
      return el("li", "order", order.reference + " - " + order.status + " - " + order.store_name + " - " + money(order.total_minor, order.currency));
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
    $("reply-form").hidden = !mine;
  }

  function loadConversation(conversationId) {
    return getJson("/console/api/conversation?conversation_id=" + encodeURIComponent(conversationId)).then(function (overview) {
      if (!current || current.conversationId !== conversationId) return;
      renderHead(overview);
      overview.messages.forEach(addLine);
      renderDetails(overview);
    });
  }

  function openConversation(conversationId) {
    if (stream) stream.close();
    current = { conversationId: conversationId, channel: null, handoff: null };
    lastId = 0;
    seen = new Set();
    $("transcript").replaceChildren();
    notice("");
    $("conversation").hidden = false;
    $("pick").hidden = true;
    loadConversation(conversationId).then(function () {
      if (!current || current.conversationId !== conversationId) return;
      stream = new EventSource("/console/api/stream?conversation_id=" + encodeURIComponent(conversationId) + "&after=" + lastId);
      stream.onmessage = function (event) { addLine(JSON.parse(event.data)); };
    });
  }

  function act(path, body, done) {
    return post(path, body).then(function (result) {
      if (result.status >= 400) notice(result.data.error || ("failed: " + result.data.status));
      else if (done) notice(done(result.data));
      loadConversation(current.conversationId);
      refreshQueue();
      return result;
    });
  }

  $("take").addEventListener("click", function () {
    var handoff = current.handoff;
    var open = handoff && (handoff.state === "waiting" || handoff.state === "message");
    var body = open ? { handoff_id: handoff.id } : { conversation_id: current.conversationId, channel: current.channel };
    act("/console/api/take", body, function () { return "You have this conversation; the assistant is paused."; });
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
    if (!text) return;
    $("send").disabled = true;
    post("/console/api/reply", { conversation_id: current.conversationId, text: text }).then(function (result) {
      if (result.status >= 400) {
        notice(result.data.error);
      } else {
        box.value = "";
        var status = result.data.status;
        notice(status === "delivered" || status === "sent" ? "" : "Not sent to the shopper: " + status + (result.data.reason ? " - " + result.data.reason : ""));
      }
    }).finally(function () { $("send").disabled = false; box.focus(); });
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
