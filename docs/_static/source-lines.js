// Source pages: a link ending in #L<a>-L<b> marks those lines and scrolls to the first.
(function () {
  function mark() {
    document.querySelectorAll(".lucid-line-target").forEach(function (el) {
      el.classList.remove("lucid-line-target");
    });
    var m = /^#L(\d+)(?:-L(\d+))?$/.exec(window.location.hash);
    if (!m) return;
    var first = +m[1], last = +(m[2] || m[1]);
    for (var n = first; n <= last; n++) {
      var line = document.getElementById("L-" + n);
      if (line) line.classList.add("lucid-line-target");
    }
    var start = document.getElementById("L-" + first);
    if (start) start.scrollIntoView({block: "center"});
  }
  window.addEventListener("hashchange", mark);
  document.addEventListener("DOMContentLoaded", mark);
})();
