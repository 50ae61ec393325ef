"""At a chart's natural size (900 px), no text is smaller than 11 px: the book shows charts at that size, never
shrunk (the browser tests check the size as rendered at 1366 and 390 px)."""
from __future__ import annotations

import io

import matplotlib
import pandas as pd
import pytest
from PIL import Image

from ivanalysis.report import charts
from ivanalysis.stats.funnel import proportion_funnel
from ivanalysis.stats.spc import xmr

pytestmark = pytest.mark.unit


def _every_chart():
    months = pd.date_range("2016-04-01", periods=24, freq="MS")
    funnel = proportion_funnel(["in1", "in2", "hi", "lo"], [30, 31, 50, 15], [100] * 4, target=0.3,
                               overdispersion="none")
    frame = pd.DataFrame({"month": months[:6].tolist() * 2, "rate": [1, 2, 3, 4, 5, 6] * 2,
                          "group": ["ESC"] * 6 + ["Not ESC"] * 6})
    return {
        "spc": charts.spc_chart(xmr(list(range(24)), months, target=15), title="Waits", y_label="Patients"),
        "funnel": charts.funnel_chart(funnel, title="Funnel", x_label="Patients", y_label="Rate"),
        "bar": charts.bar_chart(["North", "South", "East"], [1200, 800, 450], title="Spend", x_label="£",
                                value_format="gbp", highlight={"South"}),
        "line": charts.line_chart(frame, x="month", y="rate", series="group", title="t", y_label="Admissions",
                                  markers={"2016-07-01": "ESC starts"}),
    }


def test_every_chart_is_900_px_wide_and_its_smallest_text_is_11_px():
    charts.apply_style(force=True)
    dpi = matplotlib.rcParams["savefig.dpi"]
    assert charts.SMALLEST_TEXT_PT * dpi / 72 >= 11  # 8 pt at 100 dpi: 11.1 px
    for name, fig in _every_chart().items():
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        with Image.open(buf) as png:
            assert png.width == 900, (name, png.size)  # 9 in at 100 dpi
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
        assert sizes and min(sizes) >= charts.SMALLEST_TEXT_PT, (name, sorted(set(sizes)))
