"""The Making Data Count icons and words the pages, hub packs and workbooks show."""
from __future__ import annotations

import re
from typing import get_args

import pytest

from ivanalysis.report import mdc

pytestmark = pytest.mark.unit


def test_every_variation_has_words_and_an_icon_of_its_colour_and_letter():
    from ivanalysis.results.record import Variation

    assert set(mdc.VARIATION_TEXT) == set(mdc.VARIATION_EXPLAINED) == set(get_args(Variation))
    expected = {"common_cause": (mdc.GREY, "~"),
                "improvement_high": (mdc.BLUE, "H"), "improvement_low": (mdc.BLUE, "L"),
                "concern_high": (mdc.ORANGE, "H"), "concern_low": (mdc.ORANGE, "L"),
                "neither_high": (mdc.PURPLE, "H"), "neither_low": (mdc.PURPLE, "L")}
    for code, (colour, letter) in expected.items():
        svg = mdc.variation_icon(code)
        assert f'stroke="{colour}"' in svg and re.search(rf">{re.escape(letter)}</text>", svg), code
        assert f"<title>{mdc.VARIATION_EXPLAINED[code]}</title>" in svg and 'role="img"' in svg


def test_assurance_icons_say_pass_fail_or_hit_or_miss():
    assert ">P</text>" in mdc.assurance_icon("consistent_pass") and mdc.BLUE in mdc.assurance_icon("consistent_pass")
    assert ">F</text>" in mdc.assurance_icon("consistent_fail") and mdc.ORANGE in mdc.assurance_icon("consistent_fail")
    assert ">?</text>" in mdc.assurance_icon("hit_or_miss")
    assert mdc.assurance_icon(None) == ""
    assert mdc.ASSURANCE_TEXT["consistent_fail"] == "target consistently missed"
    with pytest.raises(ValueError, match="unknown SPC assurance"):
        mdc.assurance_icon("consistent_fial")


def test_the_icons_html_explains_high_and_low():
    out = mdc.icons_html("concern_low", "hit_or_miss")
    assert "unusually low values, and higher is better" in out and "within the process limits" in out
    assert out.count("<svg") == 2
    assert mdc.icons_html("common_cause", None).count("<svg") == 1
    assert "'(high)' or '(low)'" in mdc.WORDS_EXPLAINED
