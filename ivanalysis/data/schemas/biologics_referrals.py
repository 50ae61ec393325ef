"""The biologics referrals table, like the referral log of a virtual biologics clinic (VBC).

One row per referral of a patient for a decision about a biologic medicine: a new patient considered for a first
biologic, or an existing patient reviewed for a switch or a stop. Where a provider runs a virtual biologics clinic
the decision is the clinic's multidisciplinary team (MDT); elsewhere it is the consultant's, taken from the same
kind of log (e.g. Blueteq forms and homecare records). The log holds referrals decided by the end of the extract.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import (
    DATE_IN_RANGE,
    ISO_DATETIME,
    TEXT,
    TableSpec,
    code_column,
    date_column,
    positive_up_to,
    provider_column,
)

SPECIALTIES = ("rheumatology", "dermatology", "gastroenterology")
REFERRAL_TYPES = ("new", "existing")
OUTCOMES = ("start", "do not start", "switch", "stop")
DECIDED_BY = ("virtual clinic", "consultant")
DRUGS = ("adalimumab", "certolizumab pegol", "etanercept", "infliximab", "rituximab", "tocilizumab", "abatacept",
         "secukinumab", "ustekinumab", "vedolizumab")
GIVEN = ("start", "switch")  # outcomes after which a first dose follows


def _optional_date(description: str) -> pa.Column:
    return pa.Column(ISO_DATETIME, DATE_IN_RANGE, nullable=True, coerce=True, description=description)


def _outcome_fits_type(df: pd.DataFrame) -> pd.Series:
    new = df["referral_type"] == "new"
    return df["outcome"].isin(["start", "do not start"]) == new


def _first_dose_only_when_given(df: pd.DataFrame) -> pd.Series:
    return df["first_dose_date"].isna() | df["outcome"].isin(GIVEN)


def _drug_unless_not_started(df: pd.DataFrame) -> pd.Series:
    return (df["outcome"] == "do not start") == df["drug"].isna()


def _cost_with_drug(df: pd.DataFrame) -> pd.Series:
    return df["drug"].isna() == df["monthly_cost"].isna()


def _in_order(first: str, then: str):
    def check(df: pd.DataFrame) -> pd.Series:
        return df[first].isna() | df[then].isna() | (df[then] >= df[first])
    return check


def _stopped_with_a_date(df: pd.DataFrame) -> pd.Series:
    return (df["outcome"] != "stop") | df["stop_date"].notna()


SPEC = TableSpec(
    name="biologics_referrals",
    title="Biologics referrals",
    like="Virtual biologics clinic referral log (with Blueteq and homecare records)",
    description="One row per referral of a patient for a decision on a biologic medicine (rheumatology, "
                "dermatology, gastroenterology): who decided (the virtual clinic's MDT or the consultant), the "
                "outcome (start, do not start, switch, stop), the drug, when it was first given and stopped, and its "
                "cost per month.",
    key="referral_id",
    date_column="decision_date",
    source="No national source exists: this is a virtual biologics clinic's own referral log. Blueteq holds the "
           "approvals and the drug invoices (DrPLCM) the drugs given, but neither records who decided, the decisions "
           "not to start, or the date of the decision.",
    access="No: only from each provider that runs a virtual clinic, and from its consultants' records where none "
           "does.",
    identifiers=("referral_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "referral_id": code_column("Identifier of the referral", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier"),
            "specialty": pa.Column(TEXT, pa.Check.isin(list(SPECIALTIES)), coerce=True,
                                   description="Referring specialty: " + ", ".join(SPECIALTIES)),
            "referral_type": pa.Column(TEXT, pa.Check.isin(list(REFERRAL_TYPES)), coerce=True,
                                       description="new (not on a biologic: start or not) or existing (on a "
                                                   "biologic: switch or stop)"),
            "decided_by": pa.Column(TEXT, pa.Check.isin(list(DECIDED_BY)), coerce=True,
                                    description="virtual clinic (the VBC's MDT) or consultant (no VBC review)"),
            "referral_date": date_column("Date the patient was referred for a decision"),
            "decision_date": date_column("Date of the decision (the MDT's, at a virtual clinic)"),
            "outcome": pa.Column(TEXT, pa.Check.isin(list(OUTCOMES)), coerce=True,
                                 description="start or do not start (new patients); switch or stop (existing)"),
            "drug": pa.Column(TEXT, pa.Check.isin(list(DRUGS)), nullable=True, coerce=True,
                              description="Biologic started or switched to, or stopped; empty for do not start"),
            "first_dose_date": _optional_date("Date of the first dose after a start or switch; empty otherwise, "
                                              "or if not yet given at the end of the extract"),
            "stop_date": _optional_date("Date the biologic stopped: after a stop decision, or when a started "
                                        "biologic was stopped later (e.g. no response); empty if still given"),
            "monthly_cost": pa.Column(float, positive_up_to(20_000), nullable=True, coerce=True,
                                      description="Cost of the drug per month of treatment (GBP, the price paid); "
                                                  "empty for do not start"),
        },
        checks=[
            pa.Check(_in_order("referral_date", "decision_date"), name="decision_date >= referral_date",
                     error="a decision cannot come before the referral"),
            pa.Check(_in_order("decision_date", "first_dose_date"), name="first_dose_date >= decision_date",
                     error="a first dose cannot come before the decision"),
            pa.Check(_in_order("first_dose_date", "stop_date"), name="stop_date >= first_dose_date",
                     error="a biologic cannot stop before its first dose"),
            pa.Check(_outcome_fits_type, name="outcome fits referral_type",
                     error="new referrals end in start or do not start, existing ones in switch or stop"),
            pa.Check(_first_dose_only_when_given, name="first_dose_date only after outcome start or switch",
                     error="a first dose follows a start or a switch only"),
            pa.Check(_drug_unless_not_started, name="drug given unless outcome is do not start",
                     error="every outcome but do not start names its drug"),
            pa.Check(_cost_with_drug, name="monthly_cost given with the drug",
                     error="a drug has a monthly cost, and no drug has none"),
            pa.Check(_stopped_with_a_date, name="stop_date given when outcome is stop",
                     error="a stop has the date the biologic stopped"),
        ],
        strict=False,
        name="biologics_referrals",
    ),
)
