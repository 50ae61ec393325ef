"""What the schemes on the high-cost drug sources share (schemes 3, 6, 7 and 10): the months that quarterly
invoices cover, and whether each invoiced patient-quarter had a Blueteq approval in force."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .base import labels

APPROVAL_MONTHS = 12  # an approval covers a year: initiation, then a continuation form at each annual review
APPROVED, NOT_MET, NO_MDT, NONE = "approved", "criteria not met", "no MDT approval", "no approval in force"
STATUSES = (APPROVED, NOT_MET, NO_MDT, NONE)


def data_months(inv: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month the quarterly invoices cover (the last quarter's third month)."""
    return inv["invoice_period"].min(), inv["invoice_period"].max() + pd.DateOffset(months=2)


def approval_status(rows: pd.DataFrame, forms: pd.DataFrame, months: int = APPROVAL_MONTHS,
                    require_mdt: bool = False) -> pd.Series:
    """Status of each invoice row (patient_id, drug, invoice_period): approved when a form for the same patient and
    drug, approved by the quarter's last day and in force at some time in the quarter (for `months` from its date),
    records the criteria met (and MDT approval, if `require_mdt`); else the reason the latest such form fails;
    else no approval in force."""
    start = rows["invoice_period"]
    left = pd.DataFrame({"patient_id": rows["patient_id"].to_numpy(), "drug": rows["drug"].to_numpy(),
                         "start": start.to_numpy(), "end": (start + pd.DateOffset(months=3, days=-1)).to_numpy(),
                         "row": np.arange(len(rows))}).sort_values("end")
    forms = forms.sort_values("approval_date")
    approves = (forms["criteria_met"] == "Y") & ((forms["mdt_approved"] == "Y") if require_mdt else True)

    def latest(f: pd.DataFrame) -> pd.DataFrame:
        m = pd.merge_asof(left, f[["patient_id", "drug", "approval_date", "criteria_met", "mdt_approved"]],
                          left_on="end", right_on="approval_date", by=["patient_id", "drug"], direction="backward")
        recent = m["approval_date"] + pd.DateOffset(months=months) > m["start"]
        return m.assign(found=recent.to_numpy()).sort_values("row")

    good, any_form = latest(forms[approves]), latest(forms)
    return labels([good["found"].to_numpy(), any_form["found"].to_numpy() & (any_form["criteria_met"] == "N"),
                   any_form["found"].to_numpy()], (APPROVED, NOT_MET, NO_MDT), NONE, STATUSES, rows.index)
