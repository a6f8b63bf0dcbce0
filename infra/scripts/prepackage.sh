#!/bin/sh
# Before the app is packaged (azd package, and so azd up and azd deploy): the rules document is a file deployed
# with the code (PROTECTION_RULES_FILE, default rules.yaml, relative to the repository root).
# - With DEPLOY_BACKUP_VAULTS or DEPLOY_RECOVERY_SERVICES_VAULTS true and no file yet, write it for the vaults
#   the template deploys.
# - It must exist, must not sit in a folder .funcignore leaves out of the package, and, when the repository's
#   .venv is at hand, must be a document the app's own loader accepts.
set -eu
rules="${PROTECTION_RULES_FILE:-rules.yaml}"
case "$rules" in
  /* | *..*) echo "prepackage: PROTECTION_RULES_FILE must be a path inside the repository, got '$rules'" >&2; exit 1 ;;
esac
if [ ! -f "$rules" ] && { [ "${DEPLOY_BACKUP_VAULTS:-false}" = "true" ] || [ "${DEPLOY_RECOVERY_SERVICES_VAULTS:-false}" = "true" ]; }; then
  python3 infra/scripts/rules_from_vaults.py "$rules"
fi
if [ ! -f "$rules" ]; then
  echo "prepackage: the rules file '$rules' does not exist (PROTECTION_RULES_FILE, relative to the repository root)." >&2
  echo "prepackage: write it (see rules.example.yaml), point PROTECTION_RULES_FILE at it, or set DEPLOY_BACKUP_VAULTS=true / DEPLOY_RECOVERY_SERVICES_VAULTS=true" >&2
  exit 1
fi
top="${rules%%/*}"
if [ "$top" != "$rules" ] && grep -qx "$top" .funcignore; then
  echo "prepackage: '$rules' is under '$top', which .funcignore leaves out of the deployment package" >&2
  exit 1
fi
if [ -x .venv/bin/python ]; then
  .venv/bin/python -c 'import sys; from pathlib import Path; from shared.protection.rules import load_rules; load_rules(sys.argv[1], base_dir=Path("."))' "$rules" \
    || { echo "prepackage: '$rules' is not a valid rules document (message above)" >&2; exit 1; }
fi
echo "prepackage: rules file '$rules' goes into the package."
