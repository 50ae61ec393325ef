"""Every KPI the Menu of Opportunities names, chapter by chapter (its 'Key Performance Indicators' slides), and where
the book answers it: a KPI of the scheme's result (by name), its funnel and trend measure (MEASURE), its headline
opportunity (OPPORTUNITY), or the 'Not measured here' box (NOT: the label is then the `kpi` of an entry of
params/schemes/<id>.yaml `not_measured`). Read from the Menu by hand; the tests hold the book to it."""
from __future__ import annotations

MEASURE, OPPORTUNITY, NOT = "measure", "opportunity", "not measured"

MENU: dict[str, list[tuple[str, str]]] = {
    "immunoglobulin_itp": [  # ch. 1
        ("Reduce over-treatment: doses above 1 g/kg", "Episodes above 2 g/kg"),
        ("Reduce over-treatment: doses above 1 g/kg", "Episodes at 2 g/kg"),
        ("Adherence to the eligibility criteria, with assessment panels reviewing usage", NOT),
        ("Efficacy outcomes recorded on the national database", NOT),
        ("Side effects reduced by avoiding over-treatment", NOT),
    ],
    "antifungal_stewardship": [  # ch. 2
        ("Defined daily dosage", "DDDs per 1,000 occupied bed days"),
        ("Oral to intravenous ratios", "Oral to intravenous ratio (drugs given both ways)"),
        ("Review of the guidelines against the general principles", NOT),
        ("Use of diagnostics, and the turnaround time of diagnostic tests", NOT),
        ("Overall expenditure of antifungals", "Spend on antifungals"),
    ],
    "antiretroviral_prescribing": [  # ch. 3
        ("Generic uptake against the switch targets", "Basket patient-quarters on a generic regimen"),
        ("Reduced variability in regimens prescribed", MEASURE),
        ("Average patient cost", "Spend per person on antiretroviral treatment"),
        ("Savings from switching from branded to generic products", "Saving made by switches in the year"),
        ("Transferring of knowledge from specialist HIV pharmacists to regional pharmacists", NOT),
    ],
    "virtual_biologics_clinics": [  # ch. 4
        ("New patients referred to the VBC subsequently prescribed a biologic",
         "New patients referred who started a biologic"),
        ("Existing patients ceasing biologic", "Existing patients ceasing biologic"),
        ("Waiting time from the decision to prescribe to receiving the biologic",
         "Median days from decision to first dose"),
        ("Number of patients compliant with biologic requirement following access to the VBC pathway", NOT),
        ("Number of patients reporting successful self management following access to the VBC pathway", NOT),
        ("Number of appropriate patients reviewed in the VBC recruited to clinical trials and research", NOT),
        ("Cost of prescribing biologic after VBC introduced per year",
         "Cost of the first year of biologics started or switched in the year"),
    ],
    "myositis_rituximab": [  # ch. 5
        (("A switching plan, including weaning off IVIg, developed by the treating clinician for each appropriate "
         "patient"), NOT),
        ("Number of IVIg infusions given for patients with inflammatory myositis", "IVIg courses for myositis"),
        ("Patients entered onto the MYOACT database so that treatment outcomes are captured", NOT),
        ("Fewer hospital visits: attendances per patient a year, 26 for IVIg against 4 for rituximab",
         "IVIg courses per patient-year on treatment"),
        ("Volumes of rituximab purchased against the 2016/17 baseline",
         "Rituximab vials invoiced for myositis against 2016/17"),
    ],
    "generics_biosimilars": [  # ch. 6
        ("Uptake of generic and biosimilar products: new patients", "New patients started on the best-value product"),
        ("Uptake of generic and biosimilar products: existing patients",
         "Existing patients on the best-value product in the last quarter of the year"),
        ("Reduced variability in generic and biosimilar products prescribed", MEASURE),
        ("Average patient cost", "Spend per patient treated with these molecules"),
        ("Savings from switching from branded to generic and biosimilar products", OPPORTUNITY),
    ],
    "obeticholic_acid": [  # ch. 7
        ("Number of patients funded for OBCA with a completed Blueteq form", "Patients with a completed Blueteq form"),
        ("Compliance with commissioning guidance", "Patients with MDT approval recorded"),
        ("Reduction in cost of inappropriate prescribing", OPPORTUNITY),
        ("Number of prescriptions for OBCA with the PAS discount", "Invoice lines at the PAS price"),
    ],
    "chemo_dose_banding": [  # ch. 8
        ("Number of doses administered via dose-banded drugs and standardised products",
         "Administrations dose-banded with standard products"),
        ("Number of provider contracts using standardised products", NOT),
        ("Number of different presentation descriptions using standardised products", NOT),
        ("Number of chemotherapy drug dosage errors", NOT),
        ("Number of complaints relating to delays in chemotherapy administration using standardised products", NOT),
        ("Amount of intravenous chemotherapy drugs wasted", "Intravenous chemotherapy drug wasted"),
        ("Time taken to complete the preparation and dispensing of chemotherapy using standardised products", NOT),
        ("Standardised products used across every provider", "Dose-banded administrations given as standard products"),
        ("Reduction in drug costs through standardised products", OPPORTUNITY),
        ("Less waste and reduced cost due to less variation in doses", "Drug waste as a share of drug cost"),
    ],
    "oral_chemo_wastage": [  # ch. 9
        ("Improved patient adherence to oral chemotherapy", NOT),
        ("Reduce wastage of oral chemotherapy", "Supply left unused when patients stopped (wastage)"),
        ("Reduced cost per cycle of chemotherapy", "Spend per 28 days of treatment taken"),
    ],
    "ms_dmt": [  # ch. 10
        ("Whole-system reduction in prescribing of inappropriate drugs (drugs data set and Blueteq)",
         "Spend without a valid Blueteq approval"),
        ("Appropriate prescribing for patients with ongoing treatment (drugs data set and Blueteq)",
         "Invoiced patient-quarters with a Blueteq approval"),
        ("Reduction of outpatient follow-up appointments", NOT),
        ("Improved patient flow and a reduction of emergency admissions, with their cost", NOT),
    ],
    "enhanced_supportive_care": [  # ch. 11
        ("Improved patient experience measured by a change in IPOS", "Mean change in IPOS score at ESC review"),
        ("Percentage of the cancer disease group offered ESC at diagnosis of incurable disease",
         "Patients newly under care offered ESC"),
        ("Improved use of chemotherapy: fewer partially completed courses", NOT),
        ("Reduction in growth of unplanned admissions compared with groups not offered ESC",
         "Growth in unplanned admissions per patient-year, groups offered ESC"),
        ("Reduction in inappropriate A&E visits and GP appointments", NOT),
    ],
    "shared_decision_making": [  # ch. 12
        (("Better quality discussion of risks and options / reduced decision conflict for patients (patient "
         "questionnaires, local audit, complaints)"), NOT),
        ("Additional clinic capacity gained for appropriate patients", "Follow-up attendances per 100 new attendances"),
        (("Improved use of appropriate AHP specific therapies, self-management programmes and health promotion "
         "services"), NOT),
        ("Reduction in growth of demand for high-cost services: knee surgery for osteoarthritis",
         "Growth in knee replacements for osteoarthritis"),
        ("Reduction in growth of demand for high-cost services: hip surgery for osteoarthritis",
         "Growth in hip replacements for osteoarthritis"),
        ("Reduction in growth of demand for high-cost services: cardiac devices", "Growth in cardiac device implants"),
    ],
    "atain_neonatal": [  # ch. 13
        ("Main reasons for term admissions identified",
         "Term admissions for hypoglycaemia, jaundice, respiratory or asphyxia"),
        ("Hospital stays of babies minimised", "Cot days of term admissions"),
        ("Families' experience of care, with hospital stays minimised and mothers and babies kept together", NOT),
        (("Babies admitted to an appropriate clinical setting, for example transitional care, so that they stay "
         "with their mothers"), NOT),
    ],
    "clinical_utilisation_review": [  # ch. 14
        (("Improved management information (the evidence for the KPIs that underpin contracts and service "
         "specifications)"), NOT),
        (("Improved patient experience of care through receiving the right care at the right time in the right "
         "place"), NOT),
        ("Improved patient safety and patient satisfaction", NOT),
        ("Reduction in inappropriate admissions", "Admission reviews not meeting the criteria"),
        ("Reduction in stranded patients", "Spells of more than 21 days"),
        ("Reduction in length of stay", "Bed days beyond day 21 of long stays"),
        ("Reduction in the not-met rate for continued stay patients",
         "Continued-stay reviews not meeting the criteria"),
        ("Reduction in delayed discharges", "Days not met for a reason outside the hospital"),
        ("Reduction in unwarranted clinical variation", MEASURE),
    ],
    "critical_care_delayed_discharge": [  # ch. 15
        ("Good quality of care maintained: discharges planned with appropriate handover to ward-based care", NOT),
        ("Discharge during daylight hours for all patients", "Discharges out of hours (22:00 to 07:00)"),
        ("Improved patient experience as a result of better discharge planning and step-down", NOT),
        ("Reduction of cancelled elective operations as a result of reduced occupancy", NOT),
        ("Maintaining flow: access to critical care beds", "Critical care bed days lost to delays"),
        ("Critical care capacity for predictable occupancy and timely admission", NOT),
    ],
    "patient_activation": [  # ch. 16
        ("Number of patients who receive a tailored intervention", "Patients who received a tailored intervention"),
        ("Improved satisfaction rates", NOT),
        ("Improved adherence/compliance with treatments", NOT),
        ("Number of patients confident to self manage", "Patients at activation level 3 or 4"),
        ("Improved experience of care", NOT),
        ("Fewer patient complaints", NOT),
        ("Reduction in hospital admissions", "Unplanned admissions per 100 patients a year"),
        ("Reduction in A&E attendances", "A&E attendances per 100 patients a year"),
        ("Reduction in drug spend associated with optimisation, compliance and less waste", NOT),
    ],
    "spinal_pathway": [  # ch. 17
        ("Patients assessed and treated more promptly", "Operations within 18 weeks of referral"),
        ("Reduction in waiting time for outpatient treatment", "Median weeks from referral to first attendance"),
        ("Reduction in waiting time for inpatient treatment", "Median weeks from decision to operation"),
        ("Higher conversion rates from outpatient to inpatient treatment",
         "Conversion from outpatient assessment to surgery"),
    ],
    "prostate_fractionation": [  # ch. 18
        ("Quality of the service measured from patient-reported outcome measures and patient satisfaction", NOT),
        ("Paying for fewer fractions", "Mean fractions per course"),
    ],
    "rheumatology_network": [  # ch. 19
        ("Patient satisfaction improved by reduced attendances enabled by coordinated care", NOT),
        (("Improved education, social and psychological support, improving economic activity, adherence and "
         "outcomes"), NOT),
        ("Formal guidelines and pathways embedded across the whole network",
         "Patients cared for within a coordinated network"),
        ("Structured internal organ screening across the network", NOT),
        ("Reduced progression to renal failure", "Patients starting renal replacement therapy outside a network"),
        ("Reduced progression to lung and eye (vision) failure", NOT),
    ],
    "where_to_look": [],  # ch. 20 names no KPIs
}
