// Live progress of a fund scoring job: the job's Server-Sent Events, relayed by the
// gateway under the session, move the <progress> bar until `completed`. The page is
// complete without this script (it shows the state when it was served).
"use strict";

(function () {
  const panel = document.querySelector("[data-job-events]");
  if (!panel || typeof EventSource === "undefined") {
    return;
  }
  const bar = panel.querySelector("progress");
  const percentText = panel.querySelector("[data-job-percent]");
  const countsText = panel.querySelector("[data-job-counts]");
  const stateText = panel.querySelector("[data-job-state]");
  const downloads = panel.querySelector("[data-job-downloads]");
  const refresh = panel.querySelector("[data-job-refresh]");
  const number = new Intl.NumberFormat("en-US");

  function label(state) {
    const text = String(state || "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function show(data, finished) {
    const total = Number(data.total) || 0;
    const done = Number(data.done) || 0;
    const percent = total > 0 ? Math.round((100 * done) / total) : finished ? 100 : 0;
    bar.max = Math.max(total, 1);
    bar.value = total > 0 ? done : finished ? 1 : 0;
    bar.textContent = percent + " %";
    percentText.textContent = percent + " %";
    countsText.textContent =
      number.format(done) + " of " + number.format(total) + " companies (scored " +
      number.format(Number(data.scored) || 0) + ", failed " +
      number.format(Number(data.failed) || 0) + ")";
    if (data.state) {
      stateText.textContent = label(data.state);
      stateText.className = "state state-" + data.state;
    }
  }

  const source = new EventSource(panel.dataset.jobEvents);
  source.addEventListener("progress", function (event) {
    show(JSON.parse(event.data), false);
  });
  source.addEventListener("completed", function (event) {
    const data = JSON.parse(event.data);
    source.close();
    show(data, true);
    panel.dataset.jobFinished = data.state;
    if (data.state === "succeeded" && downloads) {
      downloads.hidden = false;
    }
    if (refresh) {
      refresh.hidden = false;
    }
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CONNECTING) {
      stateText.textContent = "Reconnecting…";
    }
  });
})();
