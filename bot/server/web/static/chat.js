// Web chat client: the conversation id lives in localStorage, so a reload replays the transcript from
// the server and the Server-Sent Events stream resumes from the last message id after a dropped link.
(function () {
  "use strict";
  var STORAGE_KEY = "fellside.conversation";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var statusEl = document.getElementById("status");
  var seen = {};
  var lastId = 0;

  function newConversationId() {
    if (window.crypto && crypto.randomUUID) return "web-" + crypto.randomUUID();
    var hex = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    return "web-" + [hex.slice(0, 8), hex.slice(8, 12), "4" + hex.slice(13, 16), "a" + hex.slice(17, 20), hex.slice(20, 32)].join("-");
  }

  var conversationId = localStorage.getItem(STORAGE_KEY);
  if (!/^web-[0-9a-f-]{36}$/.test(conversationId || "")) {
    conversationId = newConversationId();
    localStorage.setItem(STORAGE_KEY, conversationId);
  }

  function linkify(node, text) {
    var parts = text.split(/(https?:\/\/[^\s]+)/g);
    parts.forEach(function (part) {
      if (/^https?:\/\//.test(part)) {
        var a = document.createElement("a");
        a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener";
        node.appendChild(a);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  function render(message) {
    if (seen[message.id]) return;
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var item = document.createElement("li");
    item.className = "msg msg--" + message.author;
    item.dataset.author = message.author;
    if (message.author === "agent") {
      var who = document.createElement("span");
      who.className = "msg__who"; who.textContent = "Support team";
      item.appendChild(who);
    }
    var body = document.createElement("span");
    body.className = "msg__text";
    linkify(body, message.text || "");
    item.appendChild(body);
    var buttons = message.payload && message.payload.buttons;
    if (buttons && buttons.length) {
      var row = document.createElement("div");
      row.className = "msg__buttons";
      buttons.forEach(function (choice) {
        var b = document.createElement("button");
        b.type = "button"; b.textContent = choice.title;
        b.addEventListener("click", function () { send(choice.title, choice.payload); });
        row.appendChild(b);
      });
      item.appendChild(row);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(text) { statusEl.textContent = text; }

  function send(text, payload) {
    var body = { conversation_id: conversationId, text: text };
    if (payload) body.payload = payload;
    setStatus("sending…");
    return fetch("/chat/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (reply) {
      setStatus(reply.ok ? "online" : "assistant unavailable, try again shortly");
    }).catch(function () {
      setStatus("offline, retrying…");
    });
  }

  function connect() {
    var source = new EventSource("/chat/api/stream?conversation_id=" + encodeURIComponent(conversationId) + "&after=" + lastId);
    source.onopen = function () { setStatus("online"); };
    source.onmessage = function (event) { render(JSON.parse(event.data)); };
    source.onerror = function () {
      setStatus("reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, 2000);
      }
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  connect();
  input.focus();
})();
