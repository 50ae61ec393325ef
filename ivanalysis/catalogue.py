"""The 20 schemes of NHS England's *Menu of Opportunities*, registered once.

Chapter numbers, titles, themes and sub-themes are the Menu's own (its contents table); the one-line aims are
paraphrased from each chapter's summary. Whether a scheme is implemented is discovered, not declared: it is when
its module, notebook and assumptions file all exist (see `ivanalysis.schemes.registry`).
"""
from __future__ import annotations

from dataclasses import dataclass

MEDICINES = "Get best value out of medicines and pharmacy"
DEMAND = "Reduce avoidable demand and meet demand more appropriately"
VARIATION = "Reduce unwarranted variation in clinical quality and efficiency"


@dataclass(frozen=True)
class SchemeInfo:
    id: str
    number: int
    title: str
    theme: str
    sub_theme: str
    aim: str
    short: str  # for matrices, navigation and tables

    @property
    def notebook_name(self) -> str:
        return f"{self.number:02d}_{self.id}.ipynb"

    @property
    def calibrated_to(self) -> str:
        """The Menu figures the synthetic data were tuned to reproduce for this scheme ('' when none): an England run
        on them shows these figures because the generator was made to, which checks the arithmetic, not the Menu."""
        return CALIBRATED_TO.get(self.id, "")


CATALOGUE: tuple[SchemeInfo, ...] = (
    SchemeInfo("immunoglobulin_itp", 1, "Immunoglobulin dose regimen for immune thrombocytopenic purpura (ITP)",
               MEDICINES,
               "Deliver medicines at home",
               "Treat ITP with immunoglobulin at the guideline dose of 1 g/kg rather than 2 g/kg or more.",
               short="Immunoglobulin for ITP"),
    SchemeInfo("antifungal_stewardship", 2, "Antifungal stewardship", MEDICINES,
               "Multi-disciplinary team decision making to ensure medicine optimisation",
               "Improve value from antifungal spend through stewardship, standard diagnostics and prescribing.",
               short="Antifungal stewardship"),
    SchemeInfo("antiretroviral_prescribing", 3, "Cost-effective antiretroviral treatment (ART) prescribing", MEDICINES,
               "Coordinated switching of patients to best value medicines",
               "Prescribe the best-value antiretroviral regimens for people living with HIV.",
               short="Antiretroviral prescribing"),
    SchemeInfo("virtual_biologics_clinics", 4, "Virtual biologics clinics", MEDICINES,
               "Coordinated switching of patients to best value medicines",
               "Oversee starting, maintaining and switching biologics through a small multi-professional team.",
               short="Virtual biologics clinics"),
    SchemeInfo("myositis_rituximab", 5, "Switching maintenance immunoglobulin to rituximab for inflammatory myositis",
               MEDICINES, "Coordinated switching of patients to best value medicines",
               "Switch suitable patients with resistant myositis from maintenance IVIg to rituximab.",
               short="Myositis: IVIg to rituximab"),
    SchemeInfo("generics_biosimilars", 6, "Prescribing generic and biosimilar products", MEDICINES,
               "Coordinated switching of patients to best value medicines",
               "Move new and existing patients to the best-value generic or biosimilar product.",
               short="Generics and biosimilars"),
    SchemeInfo("obeticholic_acid", 7, "Obeticholic acid for treating primary biliary cholangitis", MEDICINES,
               "Reduce waste in high cost drugs",
               "Use obeticholic acid for the cohort NICE defines, approved by an MDT, at the discounted price.",
               short="Obeticholic acid for PBC"),
    SchemeInfo("chemo_dose_banding", 8, "Dose standardisation in chemotherapy", MEDICINES,
               "Reduce waste in high cost drugs",
               "Dose-band intravenous chemotherapy with standard products to cut avoidable waste.",
               short="Chemotherapy dose banding"),
    SchemeInfo("oral_chemo_wastage", 9, "Reducing wastage in oral chemotherapy", MEDICINES,
               "Reduce waste in high cost drugs",
               "Supply oral chemotherapy in instalments to cut the waste left when treatment stops.",
               short="Oral chemotherapy wastage"),
    SchemeInfo("ms_dmt", 10, "Multiple sclerosis disease modifying therapies", MEDICINES,
               "Ensure high cost medicines are used for defined cohorts of patients who will benefit most",
               "Apply the starting and stopping criteria for MS therapies through prior approval.",
               short="MS disease modifying therapies"),
    SchemeInfo("enhanced_supportive_care", 11, "Enhanced supportive care", DEMAND, "Delivering care proactively",
               "Bring supportive care upstream for incurable cancer to avoid unplanned admissions.",
               short="Enhanced supportive care"),
    SchemeInfo("shared_decision_making", 12, "Shared decision making", DEMAND, "Shared decision making",
               "Discuss all treatment options so that choices match what patients need and value.",
               short="Shared decision making"),
    SchemeInfo("atain_neonatal", 13, "Avoiding term admissions into neonatal units (ATAIN)", DEMAND,
               "Optimisation use of specialised bed base",
               "Avoid admitting term babies to neonatal units when they could stay with their mothers.",
               short="Term admissions to neonatal units"),
    SchemeInfo("clinical_utilisation_review", 14, "Clinical utilisation review (CUR)", DEMAND,
               "Optimisation use of specialised bed base",
               "Review whether patients meet criteria for admission and continued stay, and release bed days.",
               short="Clinical utilisation review"),
    SchemeInfo("critical_care_delayed_discharge", 15, "Adult critical care: delayed discharges", DEMAND,
               "Optimisation use of specialised bed base",
               "Discharge from critical care within 4 hours of the decision; pay delays at an excess bed rate.",
               short="Critical care delayed discharges"),
    SchemeInfo("patient_activation", 16, "Patient activation for long-term conditions", VARIATION,
               "Use technology to improve care and reduce costs",
               "Measure and raise patients' activation to manage their own long-term condition.",
               short="Patient activation"),
    SchemeInfo("spinal_pathway", 17, "Improving the spinal surgery pathway", VARIATION,
               "Implement optimal pathway of care",
               "Adopt the regional spinal pathway so that surgery is for those who will benefit.",
               short="Spinal surgery pathway"),
    SchemeInfo("prostate_fractionation", 18, "Radiotherapy prostate fractionation", VARIATION,
               "Implement optimal pathway of care",
               "Treat localised prostate cancer with 60 Gy in 20 fractions rather than 74 Gy in 37.",
               short="Prostate radiotherapy fractionation"),
    SchemeInfo("rheumatology_network", 19, "A coordinated network for specialised rheumatology", VARIATION,
               "Implement optimal pathway of care",
               "Coordinate care for systemic autoimmune rheumatic disease across a network.",
               short="Rheumatology network"),
    SchemeInfo("where_to_look", 20, "Where to Look packs", VARIATION, "Implement optimal pathway of care",
               "Compare each area's specialised spend with its most similar peers to find where to look.",
               short="Where to Look packs"),
)

BY_ID = {s.id: s for s in CATALOGUE}

# What the synthetic generators (ivanalysis/data/synth) were tuned to, by scheme: the README's table says the same.
CALIBRATED_TO = {
    "immunoglobulin_itp": "the Menu's dose split of 30/55/15% (2015/16) and its £5.6m for 2016/17 activity",
    "antiretroviral_prescribing": "£22m saved, £13.7m more to save, 8.3% of ART spend",
    "myositis_rituximab": "the Menu's regimen, 2 g/kg every 4 weeks, as the commonest",
    "atain_neonatal": "80,251 admissions, 60% of them term, the South's 4.9%, £3m for hypoglycaemia",
    "clinical_utilisation_review": "South Tees' 35% fewer patient-days not meeting the criteria",
    "critical_care_delayed_discharge": "half of discharges delayed over 4 hours, a tenth of those over 24",
    "spinal_pathway": "£1 a head, £0.5m per 500,000 people, about £50m; 35 centres",
    "prostate_fractionation": "about 13,000 patients a year",
    "rheumatology_network": "15% fewer progressions; 12 cases worth £360,000",
    "where_to_look": "the Menu's neurosciences and blood-disorder hub findings",
}
THEMES = (MEDICINES, DEMAND, VARIATION)
