"""Protection rules: load (path or inline JSON/YAML), validate against ``rules.schema.json``, evaluate.

The evaluation semantics are documented in the schema's ``description`` (one source of truth).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from shared.arm.ids import parse_resource_id
from shared.errors import BackupAutopilotError, RulesError
from shared.protection.kinds import BackupService, kind_for_type, service_of_vault
from shared.schemas import json_path
from shared.schemas import problems as schema_problems

SCHEMA_PATH = Path(__file__).with_name("rules.schema.json")


class SkipReason(StrEnum):
    UNSUPPORTED = "unsupported"
    EXCLUDED_BY_TAG = "excluded_by_tag"
    EXCLUDED_RESOURCE_GROUP = "excluded_resource_group"
    NO_RULE = "no_rule"
    NO_VAULT_IN_REGION = "no_vault_in_region"
    INVALID = "invalid"


@dataclass(frozen=True)
class Decision:
    protect: bool
    reason: str
    skip_reason: SkipReason | None = None
    rule: str | None = None
    datasource_kind: str | None = None
    vault_id: str | None = None
    vault_location: str | None = None
    policy_id: str | None = None
    key_vault_id: str | None = None
    secret_uri: str | None = None
    dry_run: bool = False
    containers: dict[str, list[str]] | None = None  # the rule's blobContainers (None: every container)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["skip_reason"] = self.skip_reason.value if self.skip_reason else None
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        values: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        values["skip_reason"] = SkipReason(data["skip_reason"]) if data.get("skip_reason") else None
        values["protect"] = bool(data.get("protect"))
        values["reason"] = str(data.get("reason") or "")
        values["dry_run"] = bool(data.get("dry_run"))
        return cls(**values)


def validate_document(doc: Any, source: str = "rules") -> None:
    """Raise ``RulesError`` listing every schema problem (with its JSON path) and semantic problem."""
    problems = [f"{json_path(e.absolute_path)}: {e.message}" for e in schema_problems(SCHEMA_PATH, doc)]
    if not problems:
        names: set[str] = set()
        for i, rule in enumerate(doc["rules"]):
            if rule["name"] in names:
                problems.append(f"$.rules[{i}].name: duplicate rule name {rule['name']!r}")
            names.add(rule["name"])
            try:
                parse_resource_id(rule["vault"]["id"])
            except BackupAutopilotError as exc:
                problems.append(f"$.rules[{i}].vault.id: {exc}")
            else:
                problems.extend(_service_problems(i, rule))
            if "keyVault" in rule:
                try:
                    parse_resource_id(rule["keyVault"]["id"])
                except BackupAutopilotError as exc:
                    problems.append(f"$.rules[{i}].keyVault.id: {exc}")
            types = [t.lower() for t in rule.get("match", {}).get("resourceTypes", [])]
            if "microsoft.dbforpostgresql/servers/databases" in types and "keyVault" not in rule:
                problems.append(
                    f"$.rules[{i}].keyVault: required when the rule covers PostgreSQL single-server databases"
                )
    if problems:
        raise RulesError(problems, source)


@lru_cache(maxsize=1024)
def vault_service(vault_id: str) -> BackupService:
    """The service of a rule's vault (the schema admits only the two vault types)."""
    service = service_of_vault(parse_resource_id(vault_id).type)
    assert service is not None, f"not a vault id: {vault_id}"
    return service


def _service_problems(index: int, rule: Mapping[str, Any]) -> list[str]:
    """A rule's vault must be of the service that backs up every resource type it names."""
    service = vault_service(rule["vault"]["id"])
    out: list[str] = []
    for resource_type in rule.get("match", {}).get("resourceTypes", []):
        kind = kind_for_type(resource_type)
        if kind is not None and kind.service is not service:
            out.append(
                f"$.rules[{index}].vault.id: a {service.vault_type} vault cannot protect {resource_type} "
                f"({kind.description}): name a {kind.service.vault_type} vault"
            )
    return out


def _parse_text(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError([f"not valid JSON or YAML: {exc}"], source) from None


def load_rules(setting: str | None, *, base_dir: Path | None = None) -> Rules:
    """Load from ``PROTECTION_RULES``: inline JSON/YAML (starts with ``{``) or a file path."""
    if not setting or not setting.strip():
        raise RulesError(["PROTECTION_RULES is not set"], "PROTECTION_RULES")
    text = setting.strip()
    source = "inline"
    if not text.startswith("{"):
        path = Path(text)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError([f"cannot read rules file: {exc.strerror or exc}"], str(path)) from None
        source = str(path)
    doc = _parse_text(text, source)
    validate_document(doc, source)
    return Rules(doc, source)


def _norm(value: str) -> str:
    return value.strip().lower()


def _tag_matches(tags: Mapping[str, str], name: str, expected: str | list[str]) -> bool:
    actual = next((v for k, v in tags.items() if _norm(k) == _norm(name)), None)
    if actual is None:
        return False
    values = expected if isinstance(expected, list) else [expected]
    return any(v == "*" or _norm(v) == _norm(str(actual)) for v in values)


def _any_tag(tags: Mapping[str, str], spec: Mapping[str, Any] | None) -> str | None:
    """``name=value`` of the first resource tag that matches ``spec``, or None."""
    for name, expected in (spec or {}).items():
        if _tag_matches(tags, name, expected):
            key = next(k for k in tags if _norm(k) == _norm(name))
            return f"{key}={tags[key]}"
    return None


@lru_cache(maxsize=4096)
def _normalised(allowed: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_norm(a) for a in allowed)


def _in(value: str | None, allowed: list[str] | None) -> bool:
    """Case-insensitive membership (the allowed values are normalised once per distinct list)."""
    if not allowed:
        return True
    return value is not None and _norm(value) in _normalised(tuple(allowed))


class Rules:
    """A validated rules document. ``evaluate`` is pure and never raises for bad resource input."""

    def __init__(self, document: Mapping[str, Any], source: str = "rules") -> None:
        self.document = document
        self.source = source
        self.dry_run = bool(document.get("dryRun", False))

    @classmethod
    def from_document(cls, document: Any, source: str = "rules") -> Rules:
        validate_document(document, source)
        return cls(document, source)

    def evaluate(
        self,
        *,
        resource_id: str,
        resource_type: str | None = None,
        location: str | None,
        tags: Mapping[str, str] | None = None,
    ) -> Decision:
        try:
            rid = parse_resource_id(resource_id)
        except BackupAutopilotError as exc:
            return Decision(False, f"invalid resource id: {exc}", SkipReason.INVALID)
        rtype = resource_type or rid.type
        kind = kind_for_type(rtype)
        if kind is None:
            return Decision(False, f"resource type {rtype} is not supported", SkipReason.UNSUPPORTED)
        tags = {str(k): str(v) for k, v in (tags or {}).items()}
        exclude = self.document.get("exclude", {})
        hit = _any_tag(tags, exclude.get("tags"))
        if hit:
            return Decision(
                False,
                f"excluded by tag {hit}",
                SkipReason.EXCLUDED_BY_TAG,
                datasource_kind=kind.name,
            )
        excluded_groups = exclude.get("resourceGroups")
        if excluded_groups and _in(rid.resource_group, excluded_groups):
            return Decision(
                False,
                f"resource group {rid.resource_group} is excluded",
                SkipReason.EXCLUDED_RESOURCE_GROUP,
                datasource_kind=kind.name,
            )
        matched: list[Mapping[str, Any]] = []
        for rule in self.document["rules"]:
            match = rule.get("match", {})
            if not (
                vault_service(rule["vault"]["id"]) is kind.service  # a rule naming no types: its service's
                and _in(rtype, match.get("resourceTypes"))
                and _in(rid.subscription, match.get("subscriptions"))
                and _in(rid.resource_group, match.get("resourceGroups"))
                and _in(location, match.get("locations"))
                and all(_tag_matches(tags, n, v) for n, v in (match.get("tags") or {}).items())
            ):
                continue
            hit = _any_tag(tags, rule.get("excludeTags"))
            if hit:
                return Decision(
                    False,
                    f"excluded by tag {hit} (rule {rule['name']})",
                    SkipReason.EXCLUDED_BY_TAG,
                    rule=rule["name"],
                    datasource_kind=kind.name,
                )
            matched.append(rule)
            if location and _norm(rule["vault"]["location"]) == _norm(location):
                return self._protect(rule, kind.name, rid.canonical(), location)
        if matched:
            regions = sorted({r["vault"]["location"] for r in matched})
            return Decision(
                False,
                f"no vault in region {location}: matching rules have vaults in {', '.join(regions)}",
                SkipReason.NO_VAULT_IN_REGION,
                rule=matched[0]["name"],
                datasource_kind=kind.name,
            )
        return Decision(False, "no rule covers this resource", SkipReason.NO_RULE, datasource_kind=kind.name)

    def _protect(self, rule: Mapping[str, Any], kind: str, datasource_id: str, location: str) -> Decision:
        vault_id = parse_resource_id(rule["vault"]["id"]).canonical()
        policy = rule["policy"]
        policy_id = policy if policy.startswith("/") else vault_service(vault_id).policy_id(vault_id, policy)
        key_vault = rule.get("keyVault") or {}
        secret_uri = key_vault.get("secretUri")
        if secret_uri:
            rid = parse_resource_id(datasource_id)
            server = rid.parent.name if rid.parent else rid.name
            secret_uri = secret_uri.replace("{server}", server).replace("{database}", rid.name)
        return Decision(
            True,
            f"rule {rule['name']}",
            rule=rule["name"],
            datasource_kind=kind,
            vault_id=vault_id,
            vault_location=rule["vault"]["location"],
            policy_id=policy_id,
            key_vault_id=key_vault.get("id"),
            secret_uri=secret_uri,
            dry_run=self.dry_run or bool(rule.get("dryRun", False)),
            containers=rule.get("blobContainers"),
        )
