"""A setting that is still a Key Vault reference (App Service could not resolve it) is refused at start-up."""

from __future__ import annotations

import pytest

from shared.config import Settings
from shared.errors import ConfigError

TOPIC = "https://evgt-outcomes.westeurope-1.eventgrid.azure.net/api/events"
REFERENCE = "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/eventgrid-topic-key)"


def test_an_unresolved_reference_as_the_topic_key_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"EVENTGRID_TOPIC_ENDPOINT": TOPIC, "EVENTGRID_TOPIC_KEY": REFERENCE})
    assert info.value.setting == "EVENTGRID_TOPIC_KEY"
    assert "unresolved Key Vault reference" in info.value.reason
    assert "Key Vault Secrets User" in info.value.reason
    assert "kv-x" not in info.value.message  # the reference's target is not echoed


@pytest.mark.parametrize(
    "value",
    [
        REFERENCE,
        "  @microsoft.keyvault(VaultName=kv-x;SecretName=eventgrid-topic-key)",
        "@MICROSOFT.KEYVAULT(SecretUri=https://kv-x.vault.azure.net/secrets/s/)",
    ],
)
@pytest.mark.parametrize("setting", ["EVENTGRID_TOPIC_KEY", "PROTECTION_RULES", "RESTORE_ALLOWED_SCOPES"])
def test_any_setting_holding_a_reference_is_refused(setting: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({setting: value})
    assert info.value.setting == setting


def test_the_resolved_secret_is_taken() -> None:
    settings = Settings.from_env(
        {"EVENTGRID_TOPIC_ENDPOINT": TOPIC, "EVENTGRID_TOPIC_KEY": "c2VjcmV0LWtleQ=="}
    )
    assert settings.eventgrid_topic_key == "c2VjcmV0LWtleQ=="
