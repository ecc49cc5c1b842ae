// Keyboard shortcuts. Queue: j/k move, Enter opens. Item: j/k next/previous,
// a approve, e edit, r reject. Ignored while typing in a field; can be turned off
// (WCAG 2.1.4) with the switch in the header, remembered in this browser.
(function () {
  var STORE = "signalseq.shortcuts";
  function enabled() { try { return localStorage.getItem(STORE) !== "off"; } catch (e) { return true; } }
  var toggle = document.getElementById("shortcuts-toggle");
  if (toggle) {
    toggle.checked = enabled();
    toggle.addEventListener("change", function () {
      try { localStorage.setItem(STORE, toggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }
  // times: shown in the zone chosen here (remembered), else the browser's
  var TZ = "signalseq.tz";
  function zone() { try { return localStorage.getItem(TZ) || undefined; } catch (e) { return undefined; } }
  function showTimes() {
    var format;
    try {
      format = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "2-digit", month: "short",
        hour: "2-digit", minute: "2-digit", timeZone: zone(), timeZoneName: "short" });
    } catch (e) { return; }  // an unknown zone: keep UTC
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      el.title = el.getAttribute("datetime");
      el.textContent = format.format(new Date(el.getAttribute("datetime")));
    });
  }
  var tzSelect = document.getElementById("tz-setting");
  if (tzSelect) {
    var zones = (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []);
    zones.forEach(function (z) { if (z !== "UTC") { var o = document.createElement("option"); o.value = o.textContent = z; tzSelect.appendChild(o); } });
    tzSelect.value = zone() || "";
    tzSelect.addEventListener("change", function () {
      try { if (tzSelect.value) { localStorage.setItem(TZ, tzSelect.value); } else { localStorage.removeItem(TZ); } } catch (e) { /* private mode */ }
      showTimes();
    });
  }
  showTimes();
  // "Copy text" on tasks: the script or message, to paste into LinkedIn or a dialer
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
      });
    });
  });
  var dirty = false;  // an edit typed and not saved: leaving asks first
  document.querySelectorAll("#edit-form textarea, #edit-form input[name=subject], #reject-form textarea")
    .forEach(function (field) { field.addEventListener("input", function () { dirty = true; }); });
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () { dirty = false; });
  });
  // a claim held on this page is let go when the reviewer leaves it
  var held = document.querySelector("form[data-release-on-leave]");
  window.addEventListener("pagehide", function () {
    if (held && !dirty && navigator.sendBeacon) {
      var data = new FormData(held);
      navigator.sendBeacon(held.action, data);
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  function typing(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable;
  }
  function openDetails(id, field) {
    var box = document.getElementById(id);
    if (!box) return;
    box.open = true;
    var target = box.querySelector(field);
    if (target) target.focus();
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tr[data-href]"));
  var current = rows.length ? 0 : -1;
  function select(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) select(0);
  var pager = document.querySelector(".pager");
  document.addEventListener("keydown", function (event) {
    if (!enabled() || typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (rows.length) {
      if (key === "j") { select(current + 1); event.preventDefault(); }
      else if (key === "k") { select(current - 1); event.preventDefault(); }
      else if (key === "Enter" && current >= 0) { window.location = rows[current].dataset.href; }
      return;
    }
    if (!pager) return;
    if (key === "j" && pager.dataset.next) { window.location = pager.dataset.next; }
    else if (key === "k" && pager.dataset.prev) { window.location = pager.dataset.prev; }
    else if (key === "a") {
      var approve = document.getElementById("approve-form");
      // requestSubmit: a required override reason stops it, as the button would
      if (approve) { event.preventDefault(); approve.requestSubmit(); }
    } else if (key === "e") { event.preventDefault(); openDetails("edit", "textarea"); }
    else if (key === "r") { event.preventDefault(); openDetails("reject", "select"); }
  });
})();
