"""Shippo adapter. `adapter` is the only module that imports the `shippo` SDK."""
