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
  // 适老化: large-text mode on public pages, remembered on this device.
  var toggle = document.querySelector("[data-bigtext]");
  if (toggle) {
    toggle.hidden = false;
    var on = localStorage.getItem("renda-bigtext") === "1";
    document.body.classList.toggle("bigtext", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.addEventListener("click", function () {
      on = !on;
      localStorage.setItem("renda-bigtext", on ? "1" : "0");
      document.body.classList.toggle("bigtext", on);
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
})();
