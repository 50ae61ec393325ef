"""Input tables: their schemas, reading and validation, and the synthetic generators."""
