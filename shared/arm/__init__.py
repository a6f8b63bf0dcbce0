"""The seam to Azure Resource Manager: ids, the HTTP client, async-operation rules, one-call steps."""
