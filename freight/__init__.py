"""RR Freight: shipping and freight for the Repair/Return program."""
