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
})();
