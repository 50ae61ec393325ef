"""Links from a run page's own words to the book's glossary (book/glossary.md), each term once, where the page first
uses it.

A run page is an executed notebook: what its SchemePage displays is output, which the book does not resolve as
cross-references ({term} roles, links to a page's anchors), so the links are plain HTML to the page the book builds
from the glossary. The book stages the glossary at guide/glossary and the run pages at runs/<scheme>/<geography>
(pipeline/book.py), hence the path; Sphinx gives each glossary term the anchor "term-" and its words joined by
hyphens, as the glossary writes them.
"""
from __future__ import annotations

import re
from functools import cache

GLOSSARY_URL = "../../guide/glossary.html"

# The terms a run page's own text uses, spelt as the glossary writes them (the anchors are made from these).
TERMS = ("Headline", "Cash-releasing", "Capacity released", "Cost avoided", "Funnel plot", "Overdispersion",
         "Tau-squared", "Shrinkage", "Upper fence", "Patient-quarter", "SPC chart", "Common cause", "Special cause",
         "Process limits", "Trial limits", "Assurance")

# Where no link may go: inside a tag, a link, code, a picture or a script, and inside Markdown's code and links.
_KEEP_OUT = re.compile(r"(<(a|code|svg|script|style)\b.*?</\2>|<[^>]+>|`[^`]*`|\[[^\]]*\]\([^)]*\))", re.S | re.I)


def anchor(term: str) -> str:
    """The id Sphinx gives a glossary term: "term-" and its words, anything else a hyphen ("term-Funnel-plot")."""
    return "term-" + re.sub(r"[^0-9A-Za-z]+", "-", term).strip("-")


@cache
def _pattern(term: str) -> re.Pattern:
    """The term as a whole word in any case, singular or plural, its words across any spacing."""
    words = r"\s+".join(re.escape(w) for w in term.removesuffix("s").split())
    return re.compile(rf"(?<![\w/#-]){words}s?(?![\w-])", re.I)


def link_terms(text: str, linked: set[str]) -> str:
    """`text` (Markdown or HTML) with the first use of each glossary term not yet in `linked` made a link to the
    glossary; the terms linked are added to `linked`, so that a page that passes the same set links each once."""
    for term in TERMS:
        if term in linked:
            continue
        # re.split with the pattern's two groups gives: text, a kept-out span, its tag name, text, ...
        parts = _KEEP_OUT.split(text)
        texts = range(0, len(parts), 3)
        for i in texts:
            match = _pattern(term).search(parts[i])
            if match:
                parts[i] = (f'{parts[i][:match.start()]}<a href="{GLOSSARY_URL}#{anchor(term)}">{match.group(0)}</a>'
                            f"{parts[i][match.end():]}")
                linked.add(term)
                break
        text = "".join(p for k, p in enumerate(parts) if k % 3 != 2)
    return text
