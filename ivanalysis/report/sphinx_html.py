"""A small Sphinx extension for the book's HTML (listed in _config.yml `sphinx.extra_extensions`).

The book theme's print-only header writes the page title as `{{ pagetitle }}`, the title's plain text, unescaped:
a place name from params/geography.yaml holding markup would run as script there. The title is escaped here, after
the theme has set it.

Sphinx 7.4 writes each inline script that an extension adds after the builder started (sphinx-togglebutton's
selector, sphinx-thebe's settings) twice: once registered with filename None, once with ''. sphinx-thebe's
declares `const THEBE_JS_URL`, so the second copy is a JavaScript error on every page. Each script is kept once.

The book's index entries (a hub's name on its pack, each glossary term) are for its search, which ranks a page whose
entry matches the query above pages that only have the words in their titles. Sphinx 7.4 keeps a page's entries in
the search index only for the pages it writes in that build (it reloads the rest of the index but not the entries),
so after an incremental build most would be lost: the search is given every page's entries, from the environment,
each time. An entry of an `index` directive (its anchor "index-N", a place with nothing of its own) names its whole
page, or the search would list the page twice, for the anchor and as a whole; a glossary term keeps its anchor.
"""
from __future__ import annotations

import html
import re

from sphinx.util.index_entries import split_index_msg


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


def _search_index_entries(app):
    """Every page's index entries for the search, as Sphinx's search builder records them; called as the builder
    collects extra pages (none here), before it writes the search index."""
    indexer = getattr(app.builder, "indexer", None)
    if indexer is not None:
        indexer._index_entries.clear()
        for docname, entries in app.env.domaindata["index"]["entries"].items():
            words = set()
            for kind, value, anchor, main, _key in entries:
                try:
                    found = split_index_msg(kind, value)
                except ValueError:  # Sphinx warned of it when reading the page (a warning fails the build)
                    continue
                place = "" if re.fullmatch(r"index-\d+", anchor or "") else anchor or ""
                words |= {(word, place, main) for word in found}
            if words and docname in indexer._titles:  # a page the search lists
                indexer._index_entries[docname] = sorted(words)
    return []


def setup(app):
    app.connect("html-collect-pages", _search_index_entries)
    app.connect("html-page-context", _once)
    app.connect("html-page-context", _escape_title, priority=900)  # after the theme's handlers (500, 501)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
