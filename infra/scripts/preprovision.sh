#!/bin/sh
# Before provisioning: refuse a configuration that would deploy an app that cannot work.
# - The rules document is a file deployed with the code (PROTECTION_RULES_FILE, default rules.yaml, relative to
#   the repository root): it must exist and must not sit in a folder .funcignore leaves out of the package.
# - PROTECTION_GRANT_ROLES=true needs VAULT_PRINCIPAL_IDS: the role-assignment condition allows grants only to
#   those principals.
set -eu
rules="${PROTECTION_RULES_FILE:-rules.yaml}"
case "$rules" in
  /* | *..*) echo "preprovision: PROTECTION_RULES_FILE must be a path inside the repository, got '$rules'" >&2; exit 1 ;;
esac
if [ ! -f "$rules" ]; then
  echo "preprovision: the rules file '$rules' does not exist (PROTECTION_RULES_FILE, relative to the repository root)." >&2
  echo "preprovision: write it (see rules.example.yaml), or point PROTECTION_RULES_FILE at it: azd env set PROTECTION_RULES_FILE <path>" >&2
  exit 1
fi
top="${rules%%/*}"
if [ "$top" != "$rules" ] && grep -qx "$top" .funcignore; then
  echo "preprovision: '$rules' is under '$top', which .funcignore leaves out of the deployment package" >&2
  exit 1
fi
# Validate with the app's own loader when its dependencies are at hand (the repository's .venv).
if [ -x .venv/bin/python ]; then
  .venv/bin/python -c 'import sys; from pathlib import Path; from shared.protection.rules import load_rules; load_rules(sys.argv[1], base_dir=Path("."))' "$rules" \
    || { echo "preprovision: '$rules' is not a valid rules document (message above)" >&2; exit 1; }
fi
if [ "${PROTECTION_GRANT_ROLES:-false}" = "true" ] && [ -z "${VAULT_PRINCIPAL_IDS:-}" ]; then
  echo "preprovision: PROTECTION_GRANT_ROLES=true needs VAULT_PRINCIPAL_IDS (the vaults' identity principal ids, comma-separated)" >&2
  exit 1
fi
echo "preprovision: rules file '$rules' will be deployed with the code."
