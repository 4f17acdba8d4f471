"""Inbound return labels bought from the RR (issue 17 §1)."""
