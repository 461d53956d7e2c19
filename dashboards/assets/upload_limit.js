/* Browser-side upload limit with a clear message.
 * dcc.Upload(max_size=...) silently ignores files that are too large; this listener tells the
 * user why nothing happened. The limit is read from the zone's data-max-bytes attribute so the
 * server decides it. The server enforces the limit too (MAX_CONTENT_LENGTH). */
(function () {
  function tooLarge(files, zone) {
    var limit = parseInt(zone.getAttribute("data-max-bytes") || "0", 10);
    if (!limit || !files) { return null; }
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > limit) { return files[i]; }
    }
    return null;
  }
  function report(zone, file) {
    var target = document.getElementById(zone.getAttribute("data-message-target"));
    if (!target) { return; }
    if (file) {
      var mb = Math.round(parseInt(zone.getAttribute("data-max-bytes"), 10) / 1048576);
      target.textContent = file.name + " is " + (file.size / 1048576).toFixed(1) +
        " MB, larger than the " + mb + " MB upload limit. Split the file or remove unused sheets.";
      target.style.display = "block";
    } else {
      target.textContent = "";
      target.style.display = "none";
    }
  }
  function zoneOf(el) { return el && el.closest ? el.closest("[data-max-bytes]") : null; }
  document.addEventListener("drop", function (e) {
    var zone = zoneOf(e.target);
    if (zone && e.dataTransfer) { report(zone, tooLarge(e.dataTransfer.files, zone)); }
  }, true);
  document.addEventListener("change", function (e) {
    var zone = zoneOf(e.target);
    if (zone && e.target.files) { report(zone, tooLarge(e.target.files, zone)); }
  }, true);
})();
