"""Statistics for the analysis book: SPC (XmR) charts and funnel plots."""
