// fairshare job page: follows a job's progress without reloading the page, then opens the run.
// Without this script the page reloads itself every 3 seconds (noscript refresh) and the
// server sends the browser to the run once it is made.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var steps = {};
  try { steps = JSON.parse(box.getAttribute("data-steps") || "{}"); } catch (e) { steps = {}; }
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var step = document.getElementById("job-step");
  function show(job) {
    var value = Math.round(100 * (job.progress.fraction || 0));
    if (bar) { bar.value = value; bar.textContent = value + "%"; }
    if (percent) { percent.textContent = value + "%"; }
    if (step) { step.textContent = steps[job.progress.step] || job.progress.step; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 3000); return; }
        show(job);
        if (job.status === "done" && job.run_id) {
          window.location.assign("/matching/runs/" + encodeURIComponent(job.run_id) + "?done=run_created");
        } else if (job.status === "failed") {
          window.location.reload();  // the server shows the problem
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
