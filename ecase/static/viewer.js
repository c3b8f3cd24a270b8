// Document viewer: keyboard shortcuts and the current page in the thumbnail rail.
// Everything works without this file; it only saves clicks on a long document.
(function () {
  "use strict";
  var pages = Array.prototype.slice.call(document.querySelectorAll(".viewer-page"));
  if (!pages.length) { return; }
  var rail = document.querySelector(".viewer-rail");

  function railLink(number) {
    return rail ? rail.querySelector('a[href$="#page-' + number + '"]') : null;
  }

  // "n" jumps to the next page with a hit, "p" to the previous one (outside form fields).
  var hitPages = pages.filter(function (p) { return p.classList.contains("hit"); });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) { return; }
    if (event.key !== "n" && event.key !== "p") { return; }
    var top = window.scrollY + 10;
    var candidates = event.key === "n"
      ? hitPages.filter(function (p) { return p.offsetTop > top; })
      : hitPages.filter(function (p) { return p.offsetTop < top - 20; }).reverse();
    if (candidates.length) {
      candidates[0].scrollIntoView();
      candidates[0].querySelector("h2").focus({ preventScroll: true });
    } else if (event.key === "n") {
      // the last hit of this window links to the next one in a later window
      var last = hitPages[hitPages.length - 1];
      var next = last ? last.querySelector(".next-hit") : null;
      if (next) { next.click(); }
    }
  });
  pages.forEach(function (p) { var h = p.querySelector("h2"); if (h) { h.tabIndex = -1; } });

  // Mark the page being read in the rail and keep it in view there.
  if (!("IntersectionObserver" in window) || !rail) { return; }
  var current = null;
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      var link = railLink(entry.target.id.replace("page-", ""));
      if (!link || link === current) { return; }
      if (current) { current.classList.remove("reading"); }
      current = link;
      link.classList.add("reading");
      link.scrollIntoView({ block: "nearest" });
    });
  }, { rootMargin: "-40% 0px -55% 0px" });
  pages.forEach(function (p) { observer.observe(p); });
})();
