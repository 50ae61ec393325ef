"""A small Sphinx extension for the book's HTML (listed in _config.yml `sphinx.extra_extensions`).

The book theme's print-only header writes the page title as `{{ pagetitle }}`, the title's plain text, unescaped:
a place name from params/geography.yaml holding markup would run as script there. The title is escaped here, after
the theme has set it.

Sphinx 7.4 writes each inline script that an extension adds after the builder started (sphinx-togglebutton's
selector, sphinx-thebe's settings) twice: once registered with filename None, once with ''. sphinx-thebe's
declares `const THEBE_JS_URL`, so the second copy is a JavaScript error on every page. Each script is kept once.
"""
from __future__ import annotations

import html


def _once(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


def _escape_title(app, pagename, templatename, context, doctree) -> None:
    if isinstance(context.get("pagetitle"), str):
        context["pagetitle"] = html.escape(context["pagetitle"])


def setup(app):
    app.connect("html-page-context", _once)
    app.connect("html-page-context", _escape_title, priority=900)  # after the theme's handlers (500, 501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
