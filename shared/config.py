"""Every setting, read in one place (``Settings.from_env``), never at import time."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.errors import ConfigError, InvalidRequestError
from shared.parsing import parse_flag

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
CREDENTIAL_KINDS = ("default", "local")
REMEDIATION_MODES = ("off", "dryRun", "on")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GROUP = re.compile(r"[A-Za-z0-9_().-]{1,90}")
_CONTAINER = re.compile(r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
# App Service passes a Key Vault reference on as its literal text when it cannot resolve it.
_KEY_VAULT_REFERENCE = "@microsoft.keyvault("


@dataclass(frozen=True)
class Settings:
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    arm_scope: str = DEFAULT_ARM_ENDPOINT + "/.default"
    arm_credential: str = "default"
    arm_local_token: str = "local-emulator-token"  # noqa: S105 - a fixed fake token for the emulator only
    eventgrid_topic_endpoint: str | None = None
    eventgrid_topic_key: str | None = field(default=None, repr=False)
    protection_rules: str | None = None
    grant_roles: bool = False
    dry_run: bool = False
    stop_orphans: bool = False  # opt-in: stop a deleted datasource's protection (data retained)
    first_backup: bool = False  # opt-in: a backup right after protecting (vault-tier policies)
    restore_allowed_scopes: tuple[str, ...] = ()
    lifecycle_allowed_scopes: tuple[str, ...] = ()  # where backups now and protection changes may act
    restore_polls_per_generation: int = 10  # job polls per orchestration execution before continue_as_new
    # Ceilings per subscription and process at ARM's refill rates; ARM's remaining-quota headers steer below
    # them when instances share the bucket (shared/arm/rate_limit.py; docs/architecture.md, "Scale-out").
    arm_writes_per_second: float = 10.0
    arm_reads_per_second: float = 25.0
    arm_burst: int = 100
    arm_max_retries: int = 3
    arm_max_retry_wait_seconds: float = 30.0
    arm_timeout_seconds: float = 30.0
    poll_default_seconds: float = 60.0
    poll_min_seconds: float = 1.0
    poll_max_seconds: float = 600.0
    role_propagation_seconds: float = 60.0
    compliance_subscriptions: tuple[str, ...] = ()
    compliance_management_groups: tuple[str, ...] = ()
    compliance_remediation: str = "off"  # off | dryRun | on
    compliance_remediation_per_second: float = 2.0  # protection requests released per subscription per second
    compliance_report_container: str = "compliance-reports"
    storage_connection_string: str | None = field(default=None, repr=False)
    storage_blob_endpoint: str | None = None  # identity-based AzureWebJobsStorage (__blobServiceUri)
    storage_queue_endpoint: str | None = None  # identity-based AzureWebJobsStorage (__queueServiceUri)

    @property
    def arm_origin(self) -> str:
        return origin_of(self.arm_endpoint)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build from an environment mapping (``os.environ`` or ``local.settings.json`` Values)."""

        def get(name: str) -> str | None:
            value = env.get(name)
            text = value.strip() if isinstance(value, str) else ""
            if text.lower().startswith(_KEY_VAULT_REFERENCE):
                raise ConfigError(
                    name,
                    "is an unresolved Key Vault reference: the platform could not read the secret (does the "
                    "app's identity have Key Vault Secrets User on the vault, and is it "
                    "keyVaultReferenceIdentity?)",
                )
            return text or None

        arm_endpoint = _endpoint(get("ARM_ENDPOINT") or DEFAULT_ARM_ENDPOINT, "ARM_ENDPOINT")
        default_scope = (get("ARM_AUDIENCE") or arm_endpoint).rstrip("/") + "/.default"
        credential = (get("ARM_CREDENTIAL") or "default").lower()
        if credential not in CREDENTIAL_KINDS:
            raise ConfigError(
                "ARM_CREDENTIAL", f"must be one of {', '.join(CREDENTIAL_KINDS)}, got {credential!r}"
            )
        topic = get("EVENTGRID_TOPIC_ENDPOINT")
        if topic is not None:
            topic = _endpoint(topic, "EVENTGRID_TOPIC_ENDPOINT", allow_path=True)
        key = get("EVENTGRID_TOPIC_KEY")
        if topic and not key:
            raise ConfigError("EVENTGRID_TOPIC_KEY", "required when EVENTGRID_TOPIC_ENDPOINT is set")
        scopes = _scopes(get, "RESTORE_ALLOWED_SCOPES")
        lifecycle_scopes = _scopes(get, "LIFECYCLE_ALLOWED_SCOPES")
        remediation = get("COMPLIANCE_REMEDIATION") or "off"
        if remediation not in REMEDIATION_MODES:
            raise ConfigError(
                "COMPLIANCE_REMEDIATION",
                f"must be one of {', '.join(REMEDIATION_MODES)}, got {remediation!r}",
            )
        subscriptions = _names(get, "COMPLIANCE_SUBSCRIPTIONS")
        for sub in subscriptions:
            if not _GUID.fullmatch(sub):
                raise ConfigError("COMPLIANCE_SUBSCRIPTIONS", f"{sub!r} is not a subscription id (a GUID)")
        groups = _names(get, "COMPLIANCE_MANAGEMENT_GROUPS")
        for group in groups:
            if not _GROUP.fullmatch(group):
                raise ConfigError("COMPLIANCE_MANAGEMENT_GROUPS", f"{group!r} is not a management group name")
        container = get("COMPLIANCE_REPORT_CONTAINER") or "compliance-reports"
        if not _CONTAINER.fullmatch(container):
            raise ConfigError(
                "COMPLIANCE_REPORT_CONTAINER", f"{container!r} is not a valid blob container name"
            )
        poll_min = _number(get, "ARM_POLL_MIN_SECONDS", 1.0, minimum=0.0)
        poll_max = _number(get, "ARM_POLL_MAX_SECONDS", 600.0, minimum=0.0)
        if poll_max < poll_min:
            raise ConfigError("ARM_POLL_MAX_SECONDS", "must be >= ARM_POLL_MIN_SECONDS")
        return cls(
            arm_endpoint=arm_endpoint,
            arm_scope=get("ARM_SCOPE") or default_scope,
            arm_credential=credential,
            arm_local_token=get("ARM_LOCAL_TOKEN") or "local-emulator-token",
            eventgrid_topic_endpoint=topic,
            eventgrid_topic_key=key,
            protection_rules=get("PROTECTION_RULES"),
            grant_roles=_bool(get, "PROTECTION_GRANT_ROLES"),
            dry_run=_bool(get, "PROTECTION_DRY_RUN"),
            stop_orphans=_bool(get, "PROTECTION_STOP_ORPHANS"),
            first_backup=_bool(get, "PROTECTION_FIRST_BACKUP"),
            restore_allowed_scopes=scopes,
            lifecycle_allowed_scopes=lifecycle_scopes,
            restore_polls_per_generation=int(_number(get, "RESTORE_POLLS_PER_GENERATION", 10, minimum=1)),
            arm_writes_per_second=_number(get, "ARM_WRITES_PER_SECOND", 10.0, minimum=0.01),
            arm_reads_per_second=_number(get, "ARM_READS_PER_SECOND", 25.0, minimum=0.01),
            arm_burst=int(_number(get, "ARM_BURST", 100, minimum=1)),
            arm_max_retries=int(_number(get, "ARM_MAX_RETRIES", 3, minimum=0)),
            arm_max_retry_wait_seconds=_number(get, "ARM_MAX_RETRY_WAIT_SECONDS", 30.0, minimum=0.0),
            arm_timeout_seconds=_number(get, "ARM_TIMEOUT_SECONDS", 30.0, minimum=0.1),
            poll_default_seconds=_number(get, "ARM_POLL_DEFAULT_SECONDS", 60.0, minimum=0.0),
            poll_min_seconds=poll_min,
            poll_max_seconds=poll_max,
            role_propagation_seconds=_number(get, "ROLE_PROPAGATION_SECONDS", 60.0, minimum=0.0),
            compliance_subscriptions=subscriptions,
            compliance_management_groups=groups,
            compliance_remediation=remediation,
            compliance_remediation_per_second=_number(
                get, "COMPLIANCE_REMEDIATION_PER_SECOND", 2.0, minimum=0.01
            ),
            compliance_report_container=container,
            storage_connection_string=get("AzureWebJobsStorage"),
            storage_blob_endpoint=_service_uri(get, "blob"),
            storage_queue_endpoint=_service_uri(get, "queue"),
        )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` in lower case, with the default port dropped."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is None or (scheme == "https" and port == 443) or (scheme == "http" and port == 80):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _endpoint(value: str, name: str, *, allow_path: bool = False) -> str:
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError as exc:
        raise ConfigError(name, f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, "must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise ConfigError(name, "must not contain credentials")
    if not allow_path and parts.path not in ("", "/"):
        raise ConfigError(name, "must be an origin without a path")
    return value.rstrip("/") if not allow_path else value


def _bool(get: Callable[[str], str | None], name: str) -> bool:
    try:
        return parse_flag(get(name), name)
    except InvalidRequestError as exc:
        raise ConfigError(name, exc.reason) from None


def _service_uri(get: Callable[[str], str | None], service: str) -> str | None:
    """Identity-based ``AzureWebJobsStorage``: ``__{service}ServiceUri``, else made from ``__accountName``."""
    uri = get(f"AzureWebJobsStorage__{service}ServiceUri")
    account = get("AzureWebJobsStorage__accountName")
    return uri or (f"https://{account}.{service}.core.windows.net" if account else None)


def _scopes(get: Callable[[str], str | None], name: str) -> tuple[str, ...]:
    """A comma-separated list of ARM scopes (subscriptions, resource groups, resources), each checked."""
    from shared.arm.ids import parse_scope

    scopes = _names(get, name)
    for s in scopes:
        try:
            parse_scope(s)
        except Exception as exc:
            raise ConfigError(name, f"invalid scope {s!r}: {exc}") from exc
    return scopes


def _names(get: Callable[[str], str | None], name: str) -> tuple[str, ...]:
    """A comma- or semicolon-separated list setting, each item stripped, empty items dropped."""
    return tuple(s.strip() for s in (get(name) or "").replace(";", ",").split(",") if s.strip())


def _number(get: Callable[[str], str | None], name: str, default: float, *, minimum: float) -> float:
    value = get(name)
    if value is None:
        return float(default)
    try:
        number = float(value)
    except ValueError as exc:
        raise ConfigError(name, f"must be a number, got {value!r}") from exc
    if number != number or number < minimum:
        raise ConfigError(name, f"must be >= {minimum}, got {value!r}")
    return number
