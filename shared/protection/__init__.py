"""Auto-protection core: datasource kinds, rules, the plan, protection requests and outcomes."""
