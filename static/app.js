// renda — small comforts on top of pages that work without JavaScript.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-confirm]");
    if (t && !window.confirm(t.getAttribute("data-confirm"))) { e.preventDefault(); }
    var c = e.target.closest("[data-copy]");
    if (c) {
      var el = document.getElementById(c.getAttribute("data-copy"));
      if (el && navigator.clipboard) {
        navigator.clipboard.writeText(el.textContent.trim()).then(function () { c.textContent = "已复制"; });
      }
    }
  });
  // 适老化: large-text mode on public pages, remembered on this device. The button says
  // its state in words (大字：开 / 大字：关) and in aria-pressed.
  var toggle = document.querySelector("[data-bigtext]");
  if (toggle) {
    var show = function (on) {
      document.body.classList.toggle("bigtext", on);
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? "大字：开" : "大字：关";
    };
    var on = false;
    try { on = localStorage.getItem("renda-bigtext") === "1"; } catch (err) { on = false; }
    toggle.hidden = false;
    show(on);
    toggle.addEventListener("click", function () {
      on = !on;
      try { localStorage.setItem("renda-bigtext", on ? "1" : "0"); } catch (err) { /* private mode */ }
      show(on);
    });
  }
  // Console menu: a <details> that works without script; on a wide screen it stays open.
  var menu = document.querySelector("[data-menu]");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 761px)");
    var fit = function () { if (wide.matches) { menu.open = true; } };
    fit();
    if (wide.addEventListener) { wide.addEventListener("change", fit); }
  }
  // 我要找代表: fill the hidden lat/lng from the phone's location and search. Without
  // JavaScript (or without permission) the township picker and keyword still work.
  var locate = document.querySelector("[data-locate]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    var status = document.querySelector("[data-locate-status]");
    locate.addEventListener("click", function () {
      var form = locate.closest("form");
      status.textContent = "正在定位……";
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lng.value = pos.coords.longitude.toFixed(6);
        form.elements.area.value = "";
        form.submit();
      }, function () {
        status.textContent = "无法获取位置，请选择所在镇街或输入地址。";
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
})();

// ---- registry: print buttons on cards and door posters (shown only with JavaScript) ----
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});

// ------------------------------------------------------------------ 新建账号: names as you type
// An input with `data-lookup` (the deputy or station an account acts for) fills its
// <datalist> from the lookup address as the admin types. Without JavaScript the name is
// resolved when the form is submitted, and a shared name offers the records to choose from.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-lookup]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q || !list) { return; }
      timer = setTimeout(function () {
        fetch(input.getAttribute("data-lookup") + "&q=" + encodeURIComponent(q), {
          credentials: "same-origin",
          headers: { Accept: "application/json" }
        })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) {
            list.textContent = "";
            rows.forEach(function (row) {
              var o = document.createElement("option");
              o.value = row.name;
              o.label = row.hint ? row.name + "（" + row.hint + "）" : row.name;
              list.appendChild(o);
            });
          })
          .catch(function () { list.textContent = ""; });
      }, 200);
    });
  });
})();

// ------------------------------------------------ text boxes: how many characters are left
// A <textarea maxlength> gets a line under it, 「已输入 120 / 2000 字」, as one types. Without
// JavaScript the browser still stops at the limit and the server says so.
(function () {
  "use strict";
  var boxes = document.querySelectorAll("textarea[maxlength]");
  Array.prototype.forEach.call(boxes, function (box) {
    var max = parseInt(box.getAttribute("maxlength"), 10);
    if (!max || max < 100) { return; }
    var line = document.createElement("span");
    line.className = "char-count";
    var show = function () {
      var n = Array.from(box.value).length;
      line.textContent = "已输入 " + n + " / " + max + " 字";
      line.classList.toggle("over", n > max * 0.9);
    };
    box.insertAdjacentElement("afterend", line);
    box.addEventListener("input", show);
    show();
  });
})();

// ------------------------------------------------ live counts (会议表决, the hall screen)
// An element with data-events="URL" listens to that server-sent event stream (the event's name
// in data-event): each [data-field="a.b"] inside it takes the value at that path of the event's
// JSON; when the JSON's `stage` (or `state`) is no longer the element's data-stage — a ballot
// opened or closed, the quorum reached — the page is loaded again to show what changed.
// Without JavaScript the hall screen refreshes itself every few seconds and the pages show the
// count as it was when loaded.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var boxes = document.querySelectorAll("[data-events]");
  Array.prototype.forEach.call(boxes, function (box) {
    var es = new EventSource(box.getAttribute("data-events"));
    es.addEventListener(box.getAttribute("data-event") || "count", function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (x) { return; }
      var stage = String(d.stage !== undefined ? d.stage : d.state);
      var was = box.getAttribute("data-stage");
      if (was !== null && was !== stage) { es.close(); window.location.reload(); return; }
      Array.prototype.forEach.call(box.querySelectorAll("[data-field]"), function (el) {
        var v = el.getAttribute("data-field").split(".").reduce(function (o, k) {
          return o === null || o === undefined ? o : o[k];
        }, d);
        if (v !== undefined && v !== null) { el.textContent = String(v); }
      });
    });
  });
})();
