"""The generated pages' layouts: Jinja2 templates in templates/, rendered by one environment.

The Python side prepares plain values (numbers already formatted with report.fmt); a template holds the layout.
Markdown templates (*.md.j2) are not autoescaped, as Markdown is not HTML: text from data or parameters goes through
the `md` filter (report.fmt.md_escape), which makes it inert; the page's own markup and the values the package
formats itself are written as they are. HTML templates (*.html.j2) are autoescaped. A name a template uses that the
caller did not give is an error (StrictUndefined), never an empty cell.

Whitespace: a line holding only a {% tag %} leaves nothing in the output (trim_blocks, lstrip_blocks); a line that
ends with a tag after text keeps its newline only when the tag is closed with `+%}`.
"""
from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup

from ..report.fmt import md_escape


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ivanalysis.pipeline", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    return env


def markup(html: str) -> Markup:
    """HTML the package trusts (from the book it built), for an HTML template to write as it is."""
    return Markup(html)


def render(template: str, **values) -> str:
    """The template (a file name in templates/) filled with `values`."""
    return environment().get_template(template).render(**values)


def template_names() -> list[str]:
    """Every page template (the names not starting with '_': those are parts that pages import)."""
    return [name for name in environment().list_templates(extensions=["j2"]) if not name.startswith("_")]
