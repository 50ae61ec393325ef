"""The live births table, like the Maternity Services Data Set (MSDS): one row per live birth."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TableSpec, code_column, date_column, provider_column

SPEC = TableSpec(
    name="births",
    title="Live births",
    like="Maternity Services Data Set (MSDS)",
    description="One row per live birth in a trust's maternity service, with the gestation at birth; counted by "
                "provider and month, these are the denominator of term admissions to neonatal units.",
    key="birth_id",
    date_column="birth_date",
    source="Maternity Services Data Set (MSDS); births are also in the delivery and birth records of HES.",
    access="Yes: MSDS and HES are available to NHS England's analysts, and births by trust and month are published "
           "(Maternity Services Monthly Statistics).",
    identifiers=("birth_id",),
    schema=pa.DataFrameSchema(
        {
            "birth_id": code_column("Pseudonymised identifier of the baby's birth record", unique=True),
            "provider_code": provider_column(),
            "birth_date": date_column("Date of birth"),
            "gestation_weeks": pa.Column(int, pa.Check.in_range(22, 44), coerce=True,
                                         description="Completed weeks of gestation at birth (22 to 44; 37 or more "
                                                     "is term)"),
        },
        strict=False,
        name="births",
    ),
)
