// Web chat client (the /chat page, also inside the embeddable widget's frame).
// The conversation id lives in localStorage, so a reload replays the transcript from the server and the
// Server-Sent Events stream resumes from the last message id after a dropped link. The shopper's own
// lines show at once ("Sending…"); lines that could not be sent wait in an outbox (kept in localStorage)
// and go out, in order, as soon as the server answers again.
(function () {
  "use strict";
  var STORAGE_KEY = "fellside.conversation";
  var OUTBOX_KEY = "fellside.outbox";
  var RETRY_MS = [1000, 2000, 4000, 8000, 15000];
  var root = document.getElementById("chat");
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var statusEl = document.getElementById("status");
  var retailer = root.dataset.retailer || "our shop";
  var timeZone = root.dataset.timezone || "Europe/London";
  // Every language's texts (bot/server/page_texts.py, translated in data/languages/*.po); the page starts in
  // the browser's language and follows the conversation's as replies arrive (each web reply carries it).
  var TEXTS = JSON.parse(root.dataset.texts || "{}");
  var language = TEXTS[root.dataset.language] ? root.dataset.language : "en";
  var embedded = root.dataset.embed === "1";
  var seen = {};
  var sentClientIds = {};  // lines the server has, by the page's own id (a restored outbox skips them)
  var lastId = 0;
  var streamOpen = false;
  var linkDown = false;   // the last request to the server failed at the network level
  var outbox = [];        // {clientId, text, payload, state: "sending" | "queued" | "failed", el}
  var flushing = false;
  var retryTimer = null;
  var retryStep = 0;

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var hex = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), "4" + hex.slice(13, 16), "a" + hex.slice(17, 20), hex.slice(20, 32)].join("-");
  }

  var conversationId = localStorage.getItem(STORAGE_KEY);
  if (!/^web-[0-9a-f-]{36}$/.test(conversationId || "")) {
    conversationId = "web-" + newUuid();
    localStorage.setItem(STORAGE_KEY, conversationId);
  }

  // "{name}" placeholders filled in after translation, like the replies' texts.
  function t(key, values) {
    var text = (TEXTS[language] || {})[key] || (TEXTS.en || {})[key] || key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      if (name === "retailer") return retailer;
      return values && values[name] !== undefined ? values[name] : all;
    });
  }

  // --- times: 24-hour, in the shop's zone, in the page's language -----------------------------------
  var clock, dayAndClock;
  function makeClocks() {
    var locale = t("time_locale");
    clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: timeZone });
    dayAndClock = new Intl.DateTimeFormat(locale, { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: timeZone });
  }
  makeClocks();
  function parseServerTime(iso) {
    // The transcript stores UTC without an offset.
    return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : iso + "Z");
  }

  // --- the connection state shown in the header --------------------------------------------------------
  function refreshStatus() {
    var state, text;
    if (linkDown || !navigator.onLine) { state = "offline"; text = t("offline"); }
    else if (!streamOpen) { state = "connecting"; text = t("reconnecting"); }
    else { state = "online"; text = t("online"); }
    if (statusEl.dataset.state !== state || statusEl.textContent !== text) { statusEl.dataset.state = state; statusEl.textContent = text; }
    outbox.forEach(function (m) { if (m.el && m.state === "queued") setState(m, "queued"); });
  }

  // --- rendering ---------------------------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function isPayUrl(url) {
    return /^https?:\/\/\S+\/pay\/\S+$/.test(url) || /^https:\/\/checkout\.stripe\.com\//.test(url);
  }

  function addText(node, text, cards) {
    var parts = text.split(/(https?:\/\/[^\s]+)/g);
    parts.forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        var url = part.replace(/[.,)]+$/, "");
        if (cards && isPayUrl(url)) { cards.push(url); return; }
        var a = el("a", "", url);
        a.href = url; a.target = "_blank"; a.rel = "noopener";
        node.appendChild(a);
        if (url.length < part.length) node.appendChild(document.createTextNode(part.slice(url.length)));
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  // Answered questions: their buttons stop working once the shopper has said something after them.
  function retireChoices() {
    Array.prototype.forEach.call(log.querySelectorAll(".msg__buttons button:not(:disabled)"), function (b) {
      b.disabled = true;
    });
  }

  function buttonRow(choices) {
    var row = el("div", "msg__buttons");
    choices.forEach(function (choice) {
      var b = el("button", choice.primary ? "btn btn--small" : "btn btn--secondary btn--small", choice.title);
      b.type = "button";
      b.addEventListener("click", function () {
        b.setAttribute("aria-pressed", "true");
        send(choice.title, choice.payload);
      });
      row.appendChild(b);
    });
    return row;
  }

  function meta(item, date) {
    var line = el("span", "msg__meta");
    if (date) {
      var time = el("time", "msg__time", clock.format(date));
      time.dateTime = date.toISOString();
      line.appendChild(time);
    }
    item.appendChild(line);
    return line;
  }

  function payCard(url) {
    var card = el("div", "paycard");
    var button = el("a", "btn", t("pay_now"));
    // Our own (sandbox) pay page speaks the chat's language; Stripe's page chooses its own.
    var ours = !/^https:\/\/checkout\.stripe\.com\//.test(url);
    button.href = ours ? url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(language) : url;
    button.target = "_blank"; button.rel = "noopener";
    var note = el("span", "paycard__note", t("opens_pay_page"));
    card.appendChild(button); card.appendChild(note);
    fetch("/chat/api/pay-link?conversation_id=" + encodeURIComponent(conversationId) + "&url=" + encodeURIComponent(url))
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (link) {
        if (!link) return;
        var by = dayAndClock.format(new Date(link.pay_by));
        if (link.state === "open") {
          button.textContent = t("pay_amount_by", { amount: link.amount, time: by });
          note.textContent = t("order_opens_pay_page", { reference: link.reference });
        } else {
          var words = { paid: "paid", expired: "link_expired", refunded: "refunded", closed: "not_payable" };
          var done = el("span", "btn", t(words[link.state] || "closed") + " · " + link.amount);
          done.setAttribute("aria-disabled", "true");
          card.replaceChild(done, button);
          note.textContent = t("order", { reference: link.reference });
        }
      })
      .catch(function () { /* the plain "Pay now" button still works */ });
    return card;
  }

  function productCards(products) {
    var list = el("div", "card-list");
    products.forEach(function (product) {
      var card = el("div", "product");
      card.appendChild(el("span", "product__name", product.name));
      card.appendChild(el("span", "product__price", product.price));
      if (product.availability) card.appendChild(el("span", "product__meta", product.availability));
      if (product.reserve) card.appendChild(buttonRow([{ title: product.reserve.title, payload: product.reserve.payload, primary: true }]));
      list.appendChild(card);
    });
    return list;
  }

  function render(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var payload = message.payload || {};
    if (message.author === "bot" && payload.language) setLanguage(payload.language);
    // A line moved to where its turn began (two lines sent at once are answered one after the other):
    // its bubble moves down to just above its answer.
    var earlier = payload.moved_from ? log.querySelector('.msg--user[data-id="' + payload.moved_from + '"]') : null;
    if (message.author === "user" && payload.client_id) {
      sentClientIds[payload.client_id] = true;
      var mine = pendingById(payload.client_id);
      if (mine) {
        if (payload.moved_from) log.appendChild(mine.el);
        delivered(mine, message);
        return;
      }
    }
    if (earlier) earlier.remove();
    if (message.author === "user") retireChoices();
    var item = el("li", "msg msg--" + message.author);
    item.dataset.author = message.author;
    item.dataset.id = message.id;
    if (payload.event) {
      item.className = "msg msg--event";
      item.dataset.event = payload.event;
      item.appendChild(el("span", "msg__text", message.text));
      log.appendChild(item);
      scrollDown();
      return;
    }
    if (message.author === "agent") item.appendChild(el("span", "msg__who", payload.agent || t("support_team")));
    var body = el("span", "msg__text");
    var cards = message.author === "bot" ? [] : null;
    addText(body, message.text || "", cards);
    if (cards && cards.length) tidyPayText(body);
    item.appendChild(body);
    (cards || []).forEach(function (url) { item.appendChild(payCard(url)); });
    var products = (payload.custom && payload.custom.products) || [];
    var onCards = {};
    if (products.length) {
      item.appendChild(productCards(products));
      products.forEach(function (p) { if (p.reserve) onCards[p.reserve.payload] = true; });
    }
    // A choice already on a card is not repeated under it.
    var rest = (payload.buttons || []).filter(function (b) { return !onCards[b.payload]; });
    if (rest.length) item.appendChild(buttonRow(rest));
    meta(item, message.created_at ? parseServerTime(message.created_at) : null);
    log.appendChild(item);
    scrollDown();
  }

  // "…Pay here before Mon 7 Dec 18:00 to keep it:" reads oddly once the link is a button below it.
  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function tidyPayText(body) {
    var last = body.lastChild;
    if (!last || last.nodeType !== 3) return;
    var parts = t("pay_here").split("{held}");
    if (parts.length !== 2) return;
    var pattern = new RegExp("\\s*" + escapeRegExp(parts[0].trim()) + " (.+?)" + escapeRegExp(parts[1].replace(/\s+$/, "")) + "\\s*$");
    last.textContent = last.textContent.replace(pattern, function (all, time) { return " " + t("please_pay_by", { time: time }); });
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // --- the shopper's own lines --------------------------------------------------------------------------
  function pendingById(clientId) {
    for (var i = 0; i < outbox.length; i++) if (outbox[i].clientId === clientId) return outbox[i];
    var done = log.querySelector('.msg--user[data-client-id="' + clientId + '"]');
    return done ? { clientId: clientId, el: done, done: true } : null;
  }

  function saveOutbox() {
    var waiting = outbox.map(function (m) {
      return { clientId: m.clientId, text: m.text, payload: m.payload || null, conversationId: conversationId };
    });
    try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(waiting)); } catch (e) { /* private mode: memory only */ }
  }

  function setState(message, state) {
    message.state = state;
    var item = message.el;
    item.classList.toggle("msg--failed", state === "failed" || state === "queued");
    item.dataset.state = state;
    var label = item.querySelector(".msg__state");
    var words = {
      sending: t("sending"), sent: t("sent"), failed: t("not_sent"),
      queued: linkDown || !navigator.onLine ? t("waiting_offline") : t("sending")
    };
    label.textContent = words[state];
    label.className = "msg__state msg__state--" + state;
    var retry = item.querySelector(".msg__retry");
    retry.hidden = !(state === "queued" || state === "failed");
  }

  function bubble(message) {
    retireChoices();
    var item = el("li", "msg msg--user");
    item.dataset.author = "user";
    item.dataset.clientId = message.clientId;
    item.appendChild(el("span", "msg__text", message.text));
    var line = meta(item, new Date());
    line.appendChild(el("span", "msg__state"));
    var retry = el("button", "msg__retry", t("retry"));
    retry.type = "button";
    retry.addEventListener("click", function () {
      if (message.state === "failed") setState(message, "queued");
      retryStep = 0;
      flush();
    });
    line.appendChild(retry);
    message.el = item;
    log.appendChild(item);
    scrollDown();
  }

  function delivered(message, fromServer) {
    if (fromServer) message.el.dataset.id = fromServer.id;
    if (message.done) return;
    message.done = true;
    outbox = outbox.filter(function (m) { return m !== message; });
    saveOutbox();
    setState(message, "sent");
  }

  function send(text, payload) {
    var message = { clientId: newUuid(), text: text, payload: payload || null, state: "sending" };
    outbox.push(message);
    saveOutbox();
    bubble(message);
    setState(message, "queued");
    flush();
  }

  function post(message) {
    var body = { conversation_id: conversationId, text: message.text, client_id: message.clientId };
    if (message.payload) body.payload = message.payload;
    return fetch("/chat/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    });
  }

  // Sends queued lines one at a time, in order; stops at the first network failure and tries again later.
  function flush() {
    if (flushing) return;
    var next = outbox.filter(function (m) { return m.state === "queued"; })[0];
    if (!next) return;
    flushing = true;
    setState(next, "sending");
    post(next).then(function (reply) {
      flushing = false;
      linkDown = false; retryStep = 0;
      refreshStatus();
      // 503: the line is recorded and the page shows the server's apology; resending would repeat it.
      if (reply.ok || reply.status === 503) delivered(next);
      else setState(next, "failed");
      flush();
    }).catch(function () {
      flushing = false;
      linkDown = true;
      refreshStatus();
      setState(next, "queued");
      scheduleRetry();
    });
  }

  function scheduleRetry() {
    if (retryTimer) return;
    var wait = RETRY_MS[Math.min(retryStep, RETRY_MS.length - 1)];
    retryStep += 1;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, wait);
  }

  function restoreOutbox() {
    var saved = [];
    try { saved = JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]"); } catch (e) { saved = []; }
    saved.forEach(function (m) {
      if (m.conversationId !== conversationId || !m.text || sentClientIds[m.clientId]) return;
      var message = { clientId: m.clientId, text: m.text, payload: m.payload, state: "queued" };
      outbox.push(message);
    });
  }

  // --- greeting and starter choices -------------------------------------------------------------------
  // The starter choices carry the request itself (as the replies' buttons do), so they work in any language.
  var STARTERS = [
    { key: "check_stock", payload: "/check_stock" }, { key: "track_order", payload: "/order_status" },
    { key: "store_hours", payload: "/ask_hours" }, { key: "talk_to_person", payload: "/request_human" }
  ];
  function greet() {
    var old = log.querySelector(".msg--welcome");
    var item = el("li", "msg msg--bot msg--welcome");
    item.dataset.author = "bot";
    item.appendChild(el("span", "msg__text", t("greeting")));
    var row = buttonRow(STARTERS.map(function (s) { return { title: t(s.key), payload: s.payload }; }));
    if (old && old.querySelector(".msg__buttons button:disabled")) {
      Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) { b.disabled = true; });
    }
    item.appendChild(row);
    if (old) log.replaceChild(item, old); else log.appendChild(item);
  }

  // The conversation went on in another language: the page's own words follow it.
  function setLanguage(next) {
    if (next === language || !TEXTS[next]) return;
    language = next;
    document.documentElement.lang = next;
    document.title = t("title");
    root.setAttribute("aria-label", t("main_label"));
    log.setAttribute("aria-label", t("log_label"));
    document.querySelector("label[for=text]").textContent = t("your_message");
    input.placeholder = t("placeholder");
    form.querySelector("button[type=submit]").textContent = t("send");
    document.getElementById("close").setAttribute("aria-label", t("close"));
    makeClocks();
    greet();
    refreshStatus();
  }

  // --- the stream -------------------------------------------------------------------------------------
  function connect() {
    var source = new EventSource("/chat/api/stream?conversation_id=" + encodeURIComponent(conversationId) + "&after=" + lastId);
    source.onopen = function () {
      streamOpen = true; linkDown = false;
      refreshStatus();
      flush();
    };
    source.onmessage = function (event) { render(JSON.parse(event.data)); };
    source.onerror = function () {
      streamOpen = false;
      refreshStatus();
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  window.addEventListener("online", function () { retryStep = 0; refreshStatus(); flush(); });
  window.addEventListener("offline", refreshStatus);

  if (embedded) {
    root.classList.add("chat--embedded");
    var close = document.getElementById("close");
    close.hidden = false;
    close.addEventListener("click", function () { window.parent.postMessage({ type: "shop-chat:close" }, "*"); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") window.parent.postMessage({ type: "shop-chat:close" }, "*");
    });
  }

  // History first, then lines a closed tab left unsent (after it, in the order typed), then the live stream.
  function start() {
    restoreOutbox();
    saveOutbox();
    outbox.forEach(function (m) { bubble(m); setState(m, "queued"); });
    connect();
  }
  greet();
  fetch("/chat/api/history?conversation_id=" + encodeURIComponent(conversationId))
    .then(function (reply) { return reply.ok ? reply.json() : { messages: [] }; })
    .then(function (history) { history.messages.forEach(render); })
    .catch(function () { linkDown = true; refreshStatus(); })
    .then(start);
  input.focus();
})();
