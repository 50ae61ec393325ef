"""Report helpers: charts and text for the analysis book."""
