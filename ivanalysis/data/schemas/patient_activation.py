"""The Patient Activation Measure (PAM) assessments table, with each patient's unplanned care in the following year."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, provider_column

# Insignia Health's published score bands: level 1 up to 47.0, level 2 47.1-55.1, level 3 55.2-67.0, level 4 67.1 up
LEVEL_UPPER = (47.0, 55.1, 67.0)
SERVICES = ["renal", "hiv", "cystic_fibrosis", "other"]


def pam_level_of(score: pd.Series | np.ndarray) -> np.ndarray:
    """The activation level (1-4) of PAM scores (0-100, one decimal), by the published bands."""
    s = np.round(np.asarray(score, dtype=float), 1)  # scores are published to one decimal place
    return np.select([s <= LEVEL_UPPER[0], s <= LEVEL_UPPER[1], s <= LEVEL_UPPER[2]], [1, 2, 3], 4)


def _level_matches(df: pd.DataFrame) -> pd.Series:
    return pd.Series(pam_level_of(df["pam_score"]) == df["pam_level"].to_numpy(), index=df.index)


SPEC = TableSpec(
    name="patient_activation",
    title="Patient Activation Measure assessments",
    like="PAM assessments of a patient activation system (Insignia Health PAM licence) linked to HES",
    description="One row per Patient Activation Measure assessment of a patient with a long-term condition under a "
                "specialised service, with its score and level, whether a tailored intervention followed, and the "
                "patient's unplanned admissions and A&E attendances (from HES) in the following 12 months.",
    key="assessment_id",
    date_column="assessment_date",
    source="No national source exists: PAM scores are held on the licensed PAM platform of each site that uses it "
           "(under NHS England's national licence); the admissions and A&E attendances that follow come from HES and "
           "the Emergency Care Data Set, linked by NHS number.",
    access="No: the scores only from the sites using the PAM, with their agreement to link them to HES.",
    identifiers=("assessment_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "assessment_id": code_column("Identifier of the PAM assessment", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier (a patient may be reassessed)"),
            "assessment_date": date_column("Date the PAM questionnaire was completed"),
            "service": pa.Column(TEXT, pa.Check.isin(SERVICES), coerce=True,
                                 description="Specialised service the patient is under: renal, hiv, cystic_fibrosis "
                                             "or other"),
            "pam_score": pa.Column(float, pa.Check.in_range(0, 100), coerce=True,
                                   description="PAM score, 0 to 100 (one decimal place)"),
            "pam_level": pa.Column(int, pa.Check.in_range(1, 4), coerce=True,
                                   description="Activation level 1 to 4 from the score: 1 up to 47.0, 2 from 47.1 to "
                                               "55.1, 3 from 55.2 to 67.0, 4 from 67.1"),
            "tailored_intervention": pa.Column(TEXT, pa.Check.isin(["Y", "N"]), coerce=True,
                                               description="Y if a tailored intervention (health coaching, "
                                                           "self-management education, peer support) followed"),
            "follow_up_days": pa.Column(int, pa.Check.in_range(0, 365), coerce=True,
                                        description="Days of the following 12 months that the activity data cover "
                                                    "(365 unless the data end sooner)"),
            "unplanned_admissions": pa.Column(int, pa.Check.in_range(0, 100), coerce=True,
                                              description="Emergency (unplanned) admissions in the follow-up"),
            "ae_attendances": pa.Column(int, pa.Check.in_range(0, 200), coerce=True,
                                        description="A&E attendances in the follow-up"),
        },
        checks=[pa.Check(_level_matches, name="pam_level matches pam_score",
                         error="the level must be the published band of the score")],
        strict=False,
        name="patient_activation",
    ),
)
