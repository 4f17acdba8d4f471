"""Background jobs of this feature (registered in freight.jobs.registry)."""
