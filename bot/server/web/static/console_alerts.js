// Agent console: unread counts and opt-in alerts. Unread = shopper lines since this agent last had the
// conversation open (kept per agent in localStorage). Alerts are off until the agent turns them on
// (browsers allow sound and notifications only after a click): then each newly waiting shopper rings a
// short tone and, with permission, shows a browser notification that opens the conversation.
window.consoleAlerts = function (agentId, openItem) {
  "use strict";
  var SEEN_KEY = "fellside.console.seen." + agentId; // conversation id -> shopper lines read
  var ALERTS_KEY = "fellside.console.alerts." + agentId;
  var button = document.getElementById("alerts");
  var announced = null; // handoff ids already known (null until the first refresh)

  function readSeen() {
    try { return JSON.parse(localStorage.getItem(SEEN_KEY)) || {}; } catch (e) { return {}; }
  }

  // Queued conversations count every line not yet read; a live one (no person asked for) only once
  // the agent has opened it: otherwise every chat on the site would read as unread.
  function unread(item) {
    var read = readSeen()[item.conversation_id];
    if (read === undefined && !item.state) return 0;
    return Math.max(0, (item.user_lines || 0) - (read || 0));
  }

  function markRead(conversationId, userLines) {
    var read = readSeen();
    if (read[conversationId] === userLines) return;
    read[conversationId] = userLines;
    localStorage.setItem(SEEN_KEY, JSON.stringify(read));
  }

  function alertsOn() { return localStorage.getItem(ALERTS_KEY) === "on"; }

  function showButton() {
    var on = alertsOn();
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Alerts on" : "Alerts off";
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    var audio = new Context();
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.08;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = function () { audio.close(); };
  }

  function announce(item) {
    beep();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var note = new Notification("Shopper waiting: " + item.shopper, {
      body: item.reason_label + (item.last_message ? " - " + item.last_message : ""), tag: "handoff-" + item.handoff_id,
    });
    note.onclick = function () { window.focus(); openItem(item); };
  }

  function announceNewcomers(queue) {
    var waiting = queue.filter(function (item) { return item.state === "waiting" || item.state === "message"; });
    if (announced !== null && alertsOn()) {
      waiting.filter(function (item) { return !announced.has(item.handoff_id); }).forEach(announce);
    }
    announced = new Set(waiting.map(function (item) { return item.handoff_id; }));
  }

  button.addEventListener("click", function () {
    localStorage.setItem(ALERTS_KEY, alertsOn() ? "off" : "on");
    showButton();
    if (alertsOn() && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });
  showButton();

  return { unread: unread, markRead: markRead, announceNewcomers: announceNewcomers };
};
