"""The Making Data Count icons and their words: what an SPC chart's latest point and its target say, drawn by the
package (SVG) for pages and packs, and written out for the workbook, where a code such as `consistent_fail` means
nothing to a reader.

The icons follow NHS England's Making Data Count conventions (and NHSRplotthedots' colours): grey for common cause
variation, blue for special cause that is an improvement, orange for special cause that is a concern, purple for
special cause where neither direction is better; an H or L says whether the special cause is high or low values.
Assurance: blue P when the target is consistently met (the process limits are all on its good side), orange F when
it is consistently missed, grey ? when it is hit or miss (the target lies within the limits).
"""
from __future__ import annotations

import html

GREY, BLUE, ORANGE, PURPLE = "#5f6368", "#1d70b8", "#b35400", "#361475"  # darkened for 4.5:1 contrast on white

VARIATION_TEXT = {"common_cause": "common cause", "improvement_high": "improving (high)",
                  "improvement_low": "improving (low)", "concern_high": "concern (high)",
                  "concern_low": "concern (low)",
                  "neither_high": "special cause (high)", "neither_low": "special cause (low)"}
# the words in full, where a reader meets them: (high) and (low) are the side of the mean the special cause is on
VARIATION_EXPLAINED = {
    "common_cause": "common cause variation: no sign of change beyond what chance gives",
    "improvement_high": "special cause variation, improving: unusually high values, and higher is better",
    "improvement_low": "special cause variation, improving: unusually low values, and lower is better",
    "concern_high": "special cause variation, a concern: unusually high values, and lower is better",
    "concern_low": "special cause variation, a concern: unusually low values, and higher is better",
    "neither_high": "special cause variation: unusually high values (neither direction is better)",
    "neither_low": "special cause variation: unusually low values (neither direction is better)",
}
ASSURANCE_TEXT = {"consistent_pass": "target consistently met", "consistent_fail": "target consistently missed",
                  "hit_or_miss": "target hit or miss", None: "no target"}
ASSURANCE_EXPLAINED = {
    "consistent_pass": "assurance: the target is consistently met (the process limits are all on its good side)",
    "consistent_fail": "assurance: the target is consistently missed (the process limits are all on its bad side)",
    "hit_or_miss": "assurance: the target lies within the process limits, so it will be met in some months and "
                   "missed in others",
    None: "no target to assure against",
}
WORDS_EXPLAINED = ("Trend words: 'common cause' means no sign of change beyond chance; 'improving' or 'concern' mean "
                   "special cause variation in the better or worse direction, and '(high)' or '(low)' say whether the "
                   "unusual values are high or low (Making Data Count).")


def _colour(variation: str) -> str:
    return {"common": GREY, "improvement": BLUE, "concern": ORANGE, "neither": PURPLE}[variation.split("_")[0]]


def _svg(colour: str, letter: str, label: str, dots: str = "") -> str:
    return (f'<svg class="iv-mdc-icon" role="img" aria-label="{html.escape(label)}" width="40" height="40" '
            f'viewBox="0 0 40 40" xmlns="http://www.w3.org/2000/svg"><title>{html.escape(label)}</title>'
            f'<circle cx="20" cy="20" r="18" fill="white" stroke="{colour}" stroke-width="3"/>{dots}'
            f'<text x="20" y="25" text-anchor="middle" font-family="Arial, sans-serif" font-size="15" '
            f'font-weight="bold" fill="{colour}">{letter}</text></svg>')


def variation_icon(variation: str) -> str:
    """The variation icon of an SPC result's latest point, as SVG markup (with its words as title and label)."""
    if variation not in VARIATION_TEXT:
        raise ValueError(f"unknown SPC variation {variation!r}: known are {', '.join(VARIATION_TEXT)}")
    colour = _colour(variation)
    # the little run of points under the letter: flat for common cause, rising or falling for special cause
    ys = [30, 30, 30, 30] if variation == "common_cause" else \
        [33, 31, 29, 27] if variation.endswith("_high") else [27, 29, 31, 33]
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="1.8" fill="{colour}"/>' for x, y in zip((12, 17, 23, 28), ys))
    letter = "" if variation == "common_cause" else "H" if variation.endswith("_high") else "L"
    return _svg(colour, letter or "~", VARIATION_EXPLAINED[variation], dots)


def assurance_icon(assurance: str | None) -> str:
    """The assurance icon (P, F or ?), or an empty string when there is no target."""
    if assurance is None:
        return ""
    if assurance not in ASSURANCE_TEXT:
        raise ValueError(f"unknown SPC assurance {assurance!r}: known are consistent_pass, consistent_fail, "
                         "hit_or_miss")
    colour, letter = {"consistent_pass": (BLUE, "P"), "consistent_fail": (ORANGE, "F"),
                      "hit_or_miss": (GREY, "?")}[assurance]
    return _svg(colour, letter, ASSURANCE_EXPLAINED[assurance])


def icons_html(variation: str, assurance: str | None) -> str:
    """Both icons with their words beside them, for a run page's trend section."""
    parts = [f'<span class="iv-mdc">{variation_icon(variation)} <span>{html.escape(VARIATION_EXPLAINED[variation])}'
             "</span></span>"]
    if assurance is not None:
        parts.append(f'<span class="iv-mdc">{assurance_icon(assurance)} '
                     f"<span>{html.escape(ASSURANCE_EXPLAINED[assurance])}</span></span>")
    return '<p class="iv-mdc-icons">' + " ".join(parts) + "</p>"
