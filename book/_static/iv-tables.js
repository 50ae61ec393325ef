/* Tables and charts that fit the reader's screen (the rules they use are in iv.css, for screens only).

   A table or chart wider than the text column first takes the free width to its right, up to the window's edge
   (on a laptop, the room of the page's "Contents" list, which folds away while such a table is in view, as the
   book theme does for its full-width content). What is still too wide scrolls sideways in its own box, which
   says so above it, shades the edge that hides more, keeps the row labels in view, and is a keyboard stop named
   after its caption. Charts are shown at their natural size (their text is sized for it) and scroll the same way.
   Measured again when the window changes size. Without JavaScript the theme's plain sideways scroll remains. */
(function () {
  "use strict";

  var EDGE = 16;            // px left clear at the window's right edge
  var STICKY_SHARE = 0.5;   // row labels kept in view only if they take at most this share of the box
  var LONG_TEXT = 25;       // characters: a column with a longer cell is prose, not a figure or a code

  // Each table and chart in a box of its own: a notebook output or the theme's table container that holds only
  // it, else a box made around it.
  function ownBox(el, selector) {
    var box = el.parentElement;
    if (box.children.length === 1 && box.matches(selector)) return box;
    box = document.createElement("div");
    el.parentNode.insertBefore(box, el);
    box.appendChild(el);
    return box;
  }

  function boxes() {
    var found = [];
    document.querySelectorAll("article.bd-article table").forEach(function (table) {
      var box = ownBox(table, "div.cell_output > .output, .pst-scrollable-table-container, .iv-box");
      box.classList.add("iv-box");
      found.push({ box: box, content: table, kind: "table" });
    });
    // charts: a notebook's images, and an image alone in a paragraph (the landing's heatmap; that is its box)
    document.querySelectorAll("article.bd-article div.cell_output > img, article.bd-article p > img").forEach(
      function (img) {
        var alone = !img.parentElement.textContent.trim() && img.parentElement.children.length === 1;
        if (img.parentElement.tagName === "P" && !alone) return;  // a picture in a sentence
        var box = ownBox(img, "p, .iv-chart");
        box.classList.add("iv-box", "iv-chart");
        found.push({ box: box, content: img, kind: "chart" });
      });
    return found;
  }

  function naturalWidth(item) {
    if (item.kind === "chart") return item.content.naturalWidth;
    var table = item.content, old = table.style.width;
    table.style.width = "max-content";
    var width = table.offsetWidth;
    table.style.width = old;
    return width;
  }

  function overflows(item) {
    var box = item.box;
    if (item.kind === "chart") return item.content.naturalWidth > box.clientWidth + 1;
    return item.content.offsetWidth > box.clientWidth + 1;
  }

  function reset(item) {
    var box = item.box;
    box.classList.remove("iv-dense", "iv-scroll", "iv-more-left", "iv-more-right");
    narrow(box);
    box.style.removeProperty("--iv-box-width");
    box.removeAttribute("tabindex");
    box.removeAttribute("role");
    box.removeAttribute("aria-label");
    var hint = box.previousElementSibling;
    if (hint && hint.classList.contains("iv-scroll-hint")) hint.remove();
    if (item.kind === "table") {
      box.style.removeProperty("--iv-label-width");
      item.content.querySelectorAll(".iv-stick, .iv-prose, .iv-label-narrow").forEach(function (cell) {
        cell.classList.remove("iv-stick", "iv-stick-last", "iv-prose", "iv-label-narrow");
        cell.style.removeProperty("left");
      });
    }
  }

  function narrow(box) {
    box.classList.remove("iv-wide");
    box.style.removeProperty("--iv-fit-width");
  }

  // Widen the box into the free room on its right, no wider than its content needs.
  function widen(item) {
    var box = item.box;
    var room = document.documentElement.clientWidth - EDGE - box.getBoundingClientRect().left;
    if (room <= box.clientWidth + 1) return;
    var width = Math.min(room, naturalWidth(item));
    box.style.setProperty("--iv-fit-width", Math.floor(width) + "px");
    box.classList.add("iv-wide");
  }

  function caption(item) {
    if (item.kind === "chart") return "Chart: " + (item.content.alt || "").split(".")[0];
    var cap = item.content.caption;
    return cap ? cap.textContent.replace("#", "").trim().split("\n")[0] : "Table";
  }

  // The columns that name a row: up to the first body row's header cell, else its first link, if either is in
  // the first two columns (a hub pack's "Rank, Scheme"); else the first column.
  function labelColumns(table) {
    var row = table.tBodies[0] && table.tBodies[0].rows[0];
    if (!row) return 0;
    for (var i = 0; i < Math.min(2, row.cells.length); i++) {
      if (row.cells[i].tagName === "TH" || row.cells[i].querySelector("a")) return i + 1;
    }
    return 1;
  }

  function stickLabels(item, n) {
    var table = item.content;
    var rows = Array.prototype.slice.call(table.rows);
    if (!n) return;  // no body rows
    if (rows.some(function (r) { return r.cells.length < n || Array.prototype.slice.call(r.cells, 0, n).some(
      function (c) { return c.colSpan > 1; }); })) return;
    var head = rows[0], share = STICKY_SHARE * item.box.clientWidth;
    function x(i, side) {  // from the table's left edge
      return head.cells[i].getBoundingClientRect()[side] - head.cells[0].getBoundingClientRect().left;
    }
    if (x(n - 1, "right") > share) {
      // labels too wide to pin: their last column is made narrower (a long word in it breaks) to fit the share
      var others = x(n - 1, "left");
      item.box.style.setProperty("--iv-label-width", Math.floor(share - others) + "px");
      rows.forEach(function (r) { r.cells[n - 1].classList.add("iv-label-narrow"); });
      if (x(n - 1, "right") > share + 1) return;
    }
    // where each column starts now, so that, pinned, it stays there
    var origin = head.cells[0].getBoundingClientRect().left, lefts = [];
    for (var i = 0; i < n; i++) lefts.push(head.cells[i].getBoundingClientRect().left - origin);
    rows.forEach(function (r) {
      for (var i = 0; i < n; i++) {
        r.cells[i].classList.add("iv-stick");
        if (i === n - 1) r.cells[i].classList.add("iv-stick-last");
        r.cells[i].style.left = lefts[i] + "px";
      }
    });
  }

  // A prose column of a scrolled table is given a reading width (CSS), not squeezed to its longest word: that
  // made rows many lines tall, blank across the other columns.
  function markProse(table, labels) {
    var rows = Array.prototype.slice.call(table.tBodies[0] ? table.tBodies[0].rows : []);
    var width = rows.reduce(function (n, r) { return Math.max(n, r.cells.length); }, 0);
    for (var i = labels; i < width; i++) {
      var cells = rows.map(function (r) { return r.cells[i]; }).filter(Boolean);
      if (cells.some(function (c) { return c.colSpan > 1; })) continue;
      if (cells.some(function (c) { return c.textContent.trim().length > LONG_TEXT; })) {
        cells.forEach(function (c) { c.classList.add("iv-prose"); });
      }
    }
  }

  function edges(box) {
    box.classList.toggle("iv-more-left", box.scrollLeft > 1);
    box.classList.toggle("iv-more-right", box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
  }

  function scroll(item) {
    var box = item.box;
    box.classList.add("iv-scroll");
    box.style.setProperty("--iv-box-width", box.clientWidth + "px");
    box.setAttribute("tabindex", "0");  // a keyboard user can scroll it with the arrow keys
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", caption(item) + " (scrolls sideways)");
    var hint = document.createElement("p");
    hint.className = "iv-scroll-hint";
    hint.setAttribute("aria-hidden", "true");  // the region's name says it to a screen reader
    hint.textContent = item.kind === "chart" ? "Chart at full size: scroll sideways to see all of it \u2192"
      : "Scroll sideways for more columns \u2192";
    box.parentNode.insertBefore(hint, box);
    if (item.kind === "table") {
      var labels = labelColumns(item.content);
      markProse(item.content, labels);
      stickLabels(item, labels);
    }
    if (!box.dataset.ivEdges) {
      box.dataset.ivEdges = "1";
      box.addEventListener("scroll", function () { edges(box); }, { passive: true });
    }
    edges(box);
  }

  var items = [];
  var wideInView = new Set();
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) wideInView.add(e.target); else wideInView.delete(e.target); });
    var contents = document.querySelector("div.bd-sidebar-secondary");
    if (contents) contents.classList.toggle("hide", wideInView.size > 0);
  }, { rootMargin: "0px 0px -33% 0px" }) : null;

  function fit() {
    items.forEach(reset);
    if (observer) { observer.disconnect(); wideInView.clear(); }
    items.forEach(function (item) { if (overflows(item)) widen(item); });
    // a table still too wide is set closer (smaller type, less padding) if that makes it fit, and only then
    items.forEach(function (item) {
      if (item.kind !== "table" || !overflows(item)) return;
      item.box.classList.add("iv-dense");
      narrow(item.box);
      widen(item);
      if (overflows(item)) {
        item.box.classList.remove("iv-dense");
        narrow(item.box);
        widen(item);
      }
    });
    items.forEach(function (item) {
      if (item.box.classList.contains("iv-wide") && observer) observer.observe(item.box);
      if (overflows(item)) scroll(item);
    });
    var contents = document.querySelector("div.bd-sidebar-secondary");
    if (contents && wideInView.size === 0) contents.classList.remove("hide");
  }

  var pending = null;
  function refit() {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () { pending = null; fit(); });
  }

  function start() {
    items = boxes();
    fit();
    items.forEach(function (item) {
      if (item.kind === "chart" && !item.content.complete) item.content.addEventListener("load", refit);
    });
    window.addEventListener("resize", refit);
    window.addEventListener("load", refit);  // web fonts and images change widths
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
