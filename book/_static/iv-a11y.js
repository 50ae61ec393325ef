/* Accessible names the theme's widgets lack (WCAG 2.2: 4.1.2 name, role, value; 2.5.3 label in name).
   The themes render these in Python or in their own scripts, so they are mended here once the page is parsed. */
(function () {
  "use strict";

  function mend() {
    // The sidebar's expand/collapse toggles hold only a chevron icon: name each after the section it opens.
    document.querySelectorAll("nav details > summary").forEach(function (summary) {
      if (summary.textContent.trim()) return;
      var link = summary.parentElement.parentElement.querySelector(":scope > a");
      var name = document.createElement("span");
      name.className = "iv-visually-hidden";
      name.textContent = "Pages under " + (link ? link.textContent.trim() : "this section");
      summary.appendChild(name);
    });
    // A visible label must be part of the accessible name: the search buttons ("Search Ctrl+K") carry a shorter
    // aria-label; without it their name is their text.
    document.querySelectorAll(".search-button-field[aria-label]")
      .forEach(function (el) { el.removeAttribute("aria-label"); });
    // The colour-mode button is named by its aria-label ("Color mode"); the titles of its decorative icons
    // ("Light", "Dark") would count as a visible label missing from that name. Font Awesome turns each <i> into an
    // <svg> with a <title>, before or after this runs: drop the title in either form.
    document.querySelectorAll(".theme-switch-button .theme-switch").forEach(function (icon) {
      icon.removeAttribute("title");
      icon.removeAttribute("aria-labelledby");
      icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mend);
  } else {
    mend();
  }
})();
