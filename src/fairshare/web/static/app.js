// fairshare dashboard: progressive enhancement only; every page works without this script.
(function () {
  "use strict";
  // Filters marked .autosubmit reload the page when changed (the Show button stays for
  // keyboard and no-script users).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("autosubmit") && target.form) {
      target.form.submit();
    }
  });
  // Forms marked data-confirm ask before submitting (e.g. an override).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // A table wider than its panel scrolls sideways (narrow screens): make it reachable with the
  // keyboard (Tab, then the arrow keys) and name it by its caption.
  function focusableScrollers() {
    var tables = document.querySelectorAll("table.data");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
        if (!table.hasAttribute("aria-label") && table.caption) {
          table.setAttribute("aria-label", table.caption.textContent.trim());
        }
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusableScrollers);
  } else {
    focusableScrollers();
  }
  window.addEventListener("resize", focusableScrollers);
})();
