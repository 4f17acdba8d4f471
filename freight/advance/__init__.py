"""Advance replacement (issue 17 §2, P-REPLACE): ship the replacement first, hold a saved card."""
