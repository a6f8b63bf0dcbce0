"""Compliance sweeps core: the inventory (Resource Graph sources), classification, the report, remediation."""
