"""The resource providers the emulator serves. ``default_providers()`` is what ``create_app`` installs."""

from __future__ import annotations

import importlib
import logging

from ..core import Provider
from .authorization import AuthorizationProvider
from .dataprotection import DataProtectionProvider
from .keyvault import KeyVaultProvider
from .management import ManagementGroupsProvider
from .postgresql import PostgreSqlProvider
from .resources import ResourcesProvider
from .storage import StorageProvider

log = logging.getLogger(__name__)

#: Providers built by other components, installed when importable (module path, class name).
OPTIONAL_PROVIDERS = (
    ("local.cloud.providers.recoveryservices", "RecoveryServicesProvider"),
    ("local.cloud.resourcegraph", "ResourceGraphProvider"),
    ("local.cloud.eventgrid", "EventGridProvider"),
)


def default_providers() -> list[Provider]:
    providers: list[Provider] = [
        ResourcesProvider(),
        ManagementGroupsProvider(),
        StorageProvider(),
        PostgreSqlProvider(),
        KeyVaultProvider(),
        AuthorizationProvider(),
        DataProtectionProvider(),
    ]
    for module_name, class_name in OPTIONAL_PROVIDERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, class_name, None)
        if cls is not None:
            providers.append(cls())
        else:
            log.debug("%s has no %s yet", module_name, class_name)
    return providers
