"""The adult critical care discharges table, like the ICNARC Case Mix Programme."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, provider_column

SPEC = TableSpec(
    name="critical_care",
    title="Adult critical care discharges",
    like="ICNARC Case Mix Programme",
    description="One row per discharge from an adult critical care unit, with the time the patient was "
                "fully ready for discharge (the decision to discharge) and the time they left.",
    key="admission_id",
    date_column="discharged_at",
    source="ICNARC Case Mix Programme, the national clinical audit of adult critical care. The same two times (fully "
           "ready for discharge, and left the unit) are in the Adult Critical Care Minimum Data Set in SUS.",
    access="Partly: ICNARC's reports go to the units and, with their agreement, to critical care networks, not to "
           "commissioners; the minimum data set is in NHS England's National Commissioning Data Repository (NCDR).",
    identifiers=("admission_id",),
    schema=pa.DataFrameSchema(
        {
            "admission_id": code_column("Identifier of the critical care admission", unique=True),
            "provider_code": provider_column(),
            "ready_at": date_column("Date and time the patient was fully ready for discharge (decision to discharge)"),
            "discharged_at": date_column("Date and time the patient left the unit"),
            "destination": pa.Column(TEXT, pa.Check.isin(["ward", "home", "other_hospital", "died"]), coerce=True,
                                     description="Where the patient went: ward, home, other_hospital or died"),
        },
        checks=[pa.Check(lambda df: df["discharged_at"] >= df["ready_at"], name="discharged_at >= ready_at",
                         error="a patient cannot leave before they are ready")],
        strict=False,
        name="critical_care",
    ),
)
