"""Reporting: tables, figures, the report and its provenance, made from the core's results."""
