// The embeddable chat: a retailer adds one tag to any page,
//   <script src="https://CHAT-SERVER/widget.js" async></script>
// and gets a launcher bubble that opens the same chat as /chat in a frame (served as /widget.js, with the
// brand colours from the server's settings filled in). The frame is on the chat server's origin, so the
// conversation, its history and its offline outbox are the chat page's own.
(function () {
  "use strict";
  if (window.__shopChatWidget) return;  // the tag pasted twice gives one launcher
  window.__shopChatWidget = true;
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  var origin = new URL(script.src, location.href).origin;
  var PRIMARY = {{primary}}, ON_PRIMARY = {{on_primary}}, RETAILER = {{retailer}};

  var style = document.createElement("style");
  style.textContent = [
    ".shopchat-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;",
    "border:0;cursor:pointer;background:" + PRIMARY + ";color:" + ON_PRIMARY + ";box-shadow:0 4px 14px rgba(0,0,0,.25);",
    "display:flex;align-items:center;justify-content:center}",
    ".shopchat-launcher:focus-visible{outline:3px solid #1a5fb4;outline-offset:3px}",
    ".shopchat-launcher svg{width:28px;height:28px;fill:currentColor}",
    ".shopchat-panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;height:min(640px,calc(100vh - 112px));",
    "border:0;border-radius:14px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.3);background:#fff}",
    ".shopchat-panel[hidden]{display:none}",
    "@media (max-width:480px){.shopchat-panel{right:0;bottom:0;width:100vw;height:100vh;height:100dvh;border-radius:0}}"
  ].join("");
  document.head.appendChild(style);

  var OPEN_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var CLOSE_ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>';
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "shopchat-launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "shopchat-panel");
  launcher.setAttribute("aria-label", "Chat with " + RETAILER);
  launcher.innerHTML = OPEN_ICON;

  var frame = null;
  function panel() {
    if (frame) return frame;
    frame = document.createElement("iframe");  // made on first open: a page that never chats loads nothing
    frame.id = "shopchat-panel";
    frame.className = "shopchat-panel";
    frame.title = "Chat with " + RETAILER;
    frame.src = origin + "/chat?embed=1";
    frame.hidden = true;
    document.body.appendChild(frame);
    return frame;
  }

  function setOpen(open) {
    var f = panel();
    f.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? "Close the chat" : "Chat with " + RETAILER);
    launcher.innerHTML = open ? CLOSE_ICON : OPEN_ICON;
    if (open) f.focus(); else launcher.focus();
  }

  launcher.addEventListener("click", function () { setOpen(launcher.getAttribute("aria-expanded") !== "true"); });
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data && event.data.type === "shop-chat:close") setOpen(false);
  });
  function mount() { document.body.appendChild(launcher); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
