"""The enhanced supportive care (ESC) services table: a provider's return of its ESC service, one row per patient
offered ESC, each row naming the tumour group and the date that group's ESC service started.

A return per patient (rather than one line per service) is what the ESC CQUIN's monitoring tool collected, and it
carries the service facts too: which providers run ESC, for which tumour groups and from which date (the
`service_start_date` of the rows of a provider and group). A tumour group with no rows at a provider is not
offered ESC there.
"""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, provider_column

# The disease (tumour) groups ESC is offered to, and the 3-character ICD-10 codes of each; any other cancer
# (C00-C97) is "other". Cancer services are organised by these site-specific groups.
TUMOUR_GROUPS: dict[str, tuple[str, ...]] = {
    "lung": ("C33", "C34", "C45"),
    "breast": ("C50",),
    "colorectal": ("C18", "C19", "C20", "C21"),
    "upper_gi": ("C15", "C16", "C17", "C22", "C23", "C24", "C25"),
    "urology": ("C61", "C62", "C64", "C65", "C66", "C67"),
    "gynaecology": ("C51", "C52", "C53", "C54", "C55", "C56", "C57"),
    "haematology": tuple(f"C{n}" for n in range(81, 97)),
    "head_and_neck": tuple(f"C{n:02d}" for n in range(0, 15)) + ("C30", "C31", "C32", "C73"),
    "brain_cns": ("C70", "C71", "C72"),
    "other": (),
}
IPOS_MAX = 68  # Integrated Palliative care Outcome Scale: 17 items scored 0 to 4; higher is worse

SPEC = TableSpec(
    name="esc_services",
    title="Enhanced supportive care (ESC) service return",
    like="Provider return of the ESC service (as the ESC CQUIN monitoring tool)",
    description="One row per patient with incurable cancer offered enhanced supportive care: provider, tumour group, "
                "the date that group's ESC service started at the provider, the date ESC was offered, and the "
                "patient's IPOS score at the first ESC assessment and at review.",
    key="referral_id",
    date_column="offer_date",
    source="No national source exists: this is the provider's own record of its ESC service (the ESC CQUIN returned "
           "counts to commissioners, not patients), and IPOS scores are kept in the patient's record.",
    access="No: only from the providers that run ESC services.",
    identifiers=("referral_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "referral_id": code_column("Identifier of the offer (referral) of ESC", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier (as in the admissions table)"),
            "tumour_group": pa.Column(TEXT, pa.Check.isin(list(TUMOUR_GROUPS)), coerce=True,
                                      description="Disease group: " + ", ".join(TUMOUR_GROUPS)),
            "service_start_date": date_column("Date the provider's ESC service for this tumour group started"),
            "offer_date": date_column("Date the patient was offered ESC"),
            "ipos_first": pa.Column(int, pa.Check.in_range(0, IPOS_MAX), coerce=True,
                                    description=f"IPOS total at the first ESC assessment (0 to {IPOS_MAX}; higher is "
                                                "worse)"),
            "ipos_review": pa.Column(float, pa.Check.in_range(0, IPOS_MAX), nullable=True, coerce=True,
                                     description=f"IPOS total at review (0 to {IPOS_MAX}); empty if not reviewed"),
        },
        checks=[pa.Check(lambda df: df["offer_date"] >= df["service_start_date"],
                         name="offer_date >= service_start_date",
                         error="ESC cannot be offered before the service started")],
        strict=False,
        name="esc_services",
    ),
)
