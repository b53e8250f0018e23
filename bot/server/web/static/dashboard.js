// Store dashboard: keeps the board live. The server's stream (Server-Sent Events, as the agent
// console's transcript) says when anything on the board changed; the page then fetches a fresh board
// and swaps it in. The markup comes from our own server with every value escaped; it is parsed with
// DOMParser, never assigned to innerHTML. A pickup code being typed is never thrown away.
(function () {
  "use strict";
  var status = document.getElementById("live");
  var pending = false;

  function board() { return document.getElementById("board"); }

  function typing() {
    var active = document.activeElement;
    return active && active.tagName === "INPUT" && board().contains(active) && active.value !== "";
  }

  function refresh() {
    if (typing()) { pending = true; board().dataset.stale = "true"; return; }
    pending = false;
    fetch("/store/board" + window.location.search, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (reply) {
        if (reply.redirected || reply.status === 401 || reply.url.indexOf("/store/login") >= 0) {
          window.location.assign("/store/login");
          return null;
        }
        return reply.ok ? reply.text() : null;
      })
      .then(function (markup) {
        if (!markup) return;
        var fresh = new DOMParser().parseFromString(markup, "text/html").getElementById("board");
        if (!fresh) return;
        var focused = document.activeElement && document.activeElement.id;
        Array.prototype.forEach.call(board().querySelectorAll("input[id]"), function (input) {
          var twin = input.value && fresh.querySelector("#" + CSS.escape(input.id));
          if (twin) twin.value = input.value; // what was typed outlives the update
        });
        board().replaceWith(document.adoptNode(fresh));
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      })
      .catch(function () { /* the next change tries again */ });
  }

  document.addEventListener("focusout", function () { if (pending) setTimeout(refresh, 0); });

  if (!window.EventSource) return;
  var stream = new EventSource("/store/stream?version=" + encodeURIComponent(board().dataset.version || ""));
  stream.addEventListener("changed", function (event) {
    if (event.data !== board().dataset.version) refresh();
  });
  stream.onopen = function () { status.textContent = "Live"; };
  stream.onerror = function () { status.textContent = "Reconnecting…"; };
})();
