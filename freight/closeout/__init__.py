"""End of day at the shipping desk: manifests and pickups (issue 17 §3)."""
