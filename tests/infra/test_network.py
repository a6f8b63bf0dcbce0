"""The network option (main.bicep vnetEnabled) and resource-event delivery to the storage queue: Event Grid
cannot push to a function the option makes private, so the option always delivers to `resource-events`, and
every subscription the deployment onboards (by list or by management-group policy) delivers as the home one
does, with the topic's own identity holding the least role on that one queue."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from functions.protection.queues import RESOURCE_EVENTS
from tests.infra.bicep import (
    APP,
    MAIN,
    ONBOARDING,
    config,
    evaluate,
    load_json,
    modules,
    parsed,
    resources,
    variable,
)

STORAGE_QUEUE_DATA_MESSAGE_SENDER = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"
SWITCHES = [
    {"vnetEnabled": vnet, "eventDelivery": delivery, "deployResourceEventSubscription": second_pass}
    for vnet, delivery, second_pass in itertools.product((False, True), ("function", "queue"), (False, True))
]


def _module_param(name: str, param: str, env: dict[str, Any]) -> Any:
    return evaluate(config(modules(MAIN)[name])["params"][param], MAIN, env)


def _indexed(name: str) -> dict[str, Any]:
    """pycep's ``name[i]``."""
    return {"operator": {"type": "index_accessor", "operands": {"operand_1": name, "operand_2": "i"}}}


def _accessor(tree: Any) -> list[str]:
    """``a.b.c`` (pycep's nested property accessors) as ["a", "b", "c"]."""
    if isinstance(tree, str):
        return [tree]
    ops = tree["operator"]["operands"]
    return [ops["operand_1"], *_accessor(ops["operand_2"])]


@pytest.mark.parametrize("env", SWITCHES, ids=lambda e: "-".join(str(v) for v in e.values()))
def test_the_network_option_always_delivers_resource_events_to_the_queue(env: dict[str, Any]) -> None:
    expected = "queue" if env["vnetEnabled"] else env["eventDelivery"]
    # Every event subscription the deployment creates gets the same, derived, delivery.
    for module in ("resourceEvents", "resourceEventsOnExistingTopic"):
        assert _module_param(module, "eventDelivery", env) == expected, module
        assert evaluate(config(modules(MAIN)[module])["params"]["resourceEventsQueueName"], MAIN, env) == (
            RESOURCE_EVENTS
        )
    onboarded = modules(MAIN)["onboarded"]["config"]["config"]["params"]
    assert evaluate(onboarded["eventDelivery"], MAIN, env) == expected
    assert evaluate(onboarded["resourceEventsQueueName"], MAIN, env) == RESOURCE_EVENTS
    # The home topic may send to the queue exactly when it delivers there.
    sender_queue = _module_param("deadLetterWriter", "resourceEventsQueueName", env)
    assert sender_queue == (RESOURCE_EVENTS if expected == "queue" else "")
    # One switch takes the event subscriptions in and out, whatever the delivery (predown.sh relies on it).
    created = evaluate(modules(MAIN)["resourceEvents"]["config"]["condition"], MAIN, env)
    assert created == env["deployResourceEventSubscription"]
    assert evaluate(onboarded["deployEventSubscription"], MAIN, env) == created
    output = parsed(MAIN)["outputs"]["RESOURCE_EVENT_DELIVERY"]["value"]
    assert evaluate(output, MAIN, env) == expected


def test_no_module_reads_the_delivery_parameter_itself() -> None:
    """Only resourceEventDelivery reads the eventDelivery parameter: nothing can bypass the network option."""
    text = MAIN.read_text()
    uses = [line.strip() for line in text.splitlines() if re.search(r"\beventDelivery\b", line)]
    assert uses == [
        "param eventDelivery string = 'function'",
        "var resourceEventDelivery = vnetEnabled ? 'queue' : eventDelivery",
        "eventDelivery: resourceEventDelivery",
        "eventDelivery: resourceEventDelivery",
        "eventDelivery: resourceEventDelivery",
    ]


@pytest.mark.parametrize("delivery", ["function", "queue"])
def test_the_event_subscription_delivers_as_asked(delivery: str) -> None:
    events = APP / "resource-events.bicep"
    account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
    env = {"eventDelivery": delivery, "deadLetterStorageAccountId": account, "functionAppId": "app"}
    properties = config(resources(events)["subscriptionToFunction"])["properties"]
    body = {
        key: evaluate(properties[key], events, env) for key in ("destination", "deliveryWithResourceIdentity")
    }
    if delivery == "function":
        assert body["deliveryWithResourceIdentity"] is None
        assert body["destination"]["endpointType"] == "AzureFunction"
        return
    assert body["destination"] is None
    queue = body["deliveryWithResourceIdentity"]
    # The system topic's own identity: only a system-assigned one passes a storage firewall (trusted service).
    assert queue["identity"] == {"type": "SystemAssigned"}
    assert queue["destination"]["endpointType"] == "StorageQueue"
    assert queue["destination"]["properties"]["queueName"] == RESOURCE_EVENTS
    assert queue["destination"]["properties"]["resourceId"] == account  # the app's storage


@pytest.mark.parametrize("delivery", ["function", "queue"])
def test_a_listed_subscription_delivers_to_the_queue_when_asked(delivery: str) -> None:
    """onboarding/subscription.bicep: the event subscription delivers as main.bicep says, and the topic's
    identity gets its queue right (in the app's subscription, where the storage is) exactly with the queue."""
    sub = ONBOARDING / "subscription.bicep"
    env = {"eventDelivery": delivery}
    events = config(modules(sub)["resourceEvents"])
    assert evaluate(events["params"]["eventDelivery"], sub, env) == delivery
    assert evaluate(events["params"]["resourceEventsQueueName"], sub, env) == RESOURCE_EVENTS
    writer = config(modules(sub)["deadLetterWriter"])
    assert modules(sub)["deadLetterWriter"]["detail"]["path"] == "../app/dead-letter-writer.bicep"
    assert evaluate(writer["params"]["resourceEventsQueueName"], sub, env) == (
        RESOURCE_EVENTS if delivery == "queue" else ""
    )
    assert writer["scope"]["function"]["type"] == "resource_group"
    assert writer["scope"]["function"]["parameters"] == {
        "subscription_id": "appSubscriptionId",
        "resource_group_name": "appResourceGroupName",
    }


def test_queue_senders_are_scoped_to_their_queue() -> None:
    """Storage Queue Data Message Sender (what Event Grid needs to deliver to a queue) is assigned on a queue,
    never on the account; the resource-events sender only when there is a queue to send to."""
    writer = APP / "dead-letter-writer.bicep"
    sender = resources(writer)["resourceEventsSender"]
    assert json.dumps(sender["config"]["condition"]) == json.dumps(
        {
            "operator": {
                "type": "not",
                "operands": {
                    "bool_value": {
                        "function": {
                            "type": "empty",
                            "parameters": {"item_to_test": "resourceEventsQueueName"},
                        }
                    }
                },
            }
        }
    )
    assert _accessor(config(sender)["scope"]) == ["storage", "queueServices", "resourceEventsQueue"]
    role = config(sender)["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
    assert variable(writer, role) == STORAGE_QUEUE_DATA_MESSAGE_SENDER
    senders = 0
    for path in sorted(APP.glob("*.bicep")) + sorted(ONBOARDING.glob("*.bicep")):
        for name, res in resources(path).items():
            if res["type"] != "Microsoft.Authorization/roleAssignments" or res["existing"]:
                continue
            role_id = config(res)["properties"]["roleDefinitionId"]
            role_var = role_id.get("function", {}).get("parameters", {}).get("resource_name_1")
            if role_var and variable(path, role_var) == STORAGE_QUEUE_DATA_MESSAGE_SENDER:
                senders += 1
                assert "queue" in json.dumps(config(res)["scope"]).lower(), f"{path.name}: {name}"
    assert senders >= 2  # the resource-events sender and the outcome topic's


def test_the_policy_delivers_every_subscription_as_the_deployment_does() -> None:
    """management-group.bicep passes eventDelivery through the definition, the assignment and the deployment
    to subscription-events.json, whose event subscription delivers accordingly; a change of delivery makes
    every subscription non-compliant (a tag in the existence condition); the queue right comes only with it.
    """
    mg = ONBOARDING / "management-group.bicep"
    definition = config(resources(mg)["definition"])["properties"]
    assignment = config(resources(mg)["assignment"])["properties"]
    details = definition["policyRule"]["then"]["details"]
    deployment = details["deployment"]["properties"]
    template = load_json(ONBOARDING / "subscription-events.json")
    # The assignment sets every parameter of the definition; the deployment every parameter of the template.
    assert set(definition["parameters"]) == set(assignment["parameters"])
    assert set(deployment["parameters"]) == set(template["parameters"])
    for name in ("eventDelivery", "resourceEventsQueueName"):
        assert name in definition["parameters"]
        # pycep keeps Bicep's escaped quotes
        assert deployment["parameters"][name] == {"value": f"[parameters(\\'{name}\\')]"}
    assert assignment["parameters"]["eventDelivery"] == {"value": "eventDelivery"}
    assert definition["parameters"]["eventDelivery"]["defaultValue"] == "function"  # earlier assignments
    existence = details["existenceCondition"]["allOf"]
    assert {
        "field": "tags[backup-autopilot-delivery]",
        "equals": "[parameters(\\'eventDelivery\\')]",
    } in existence
    # The per-subscription template.
    _rg, events, grants = template["resources"]
    inner = events["properties"]["template"]
    topic, _diagnostics, subscription = inner["resources"]
    assert topic["tags"]["backup-autopilot-delivery"] == "[parameters('eventDelivery')]"
    assert inner["variables"]["viaQueue"] == "[equals(parameters('eventDelivery'), 'queue')]"
    props = subscription["properties"]
    assert props["destination"] == "[if(variables('viaQueue'), null(), variables('toFunction'))]"
    assert (
        props["deliveryWithResourceIdentity"] == "[if(variables('viaQueue'), variables('toQueue'), null())]"
    )
    assert inner["variables"]["toFunction"]["endpointType"] == "AzureFunction"
    to_queue = inner["variables"]["toQueue"]
    assert to_queue["identity"] == {"type": "SystemAssigned"}
    assert to_queue["destination"]["endpointType"] == "StorageQueue"
    assert to_queue["destination"]["properties"]["queueName"] == "[parameters('resourceEventsQueueName')]"
    sender = grants["properties"]["template"]["resources"][1]
    assert sender["condition"] == "[equals(parameters('eventDelivery'), 'queue')]"
    assert sender["scope"].startswith(
        "[format('Microsoft.Storage/storageAccounts/{0}/queueServices/default/queues/{1}'"
    )
    variables = grants["properties"]["template"]["variables"]
    assert variables["storageQueueDataMessageSenderRoleId"] == STORAGE_QUEUE_DATA_MESSAGE_SENDER
    assert "storageQueueDataMessageSenderRoleId" in sender["properties"]["roleDefinitionId"]
    assert sender["properties"]["principalType"] == "ServicePrincipal"


@pytest.mark.parametrize("delivery", ["function", "queue"])
def test_the_policy_identity_may_grant_only_the_queue_sender_role_on_the_queue(delivery: str) -> None:
    mg = ONBOARDING / "management-group.bicep"
    passed = config(modules(mg)["centralGrants"])["params"]["resourceEventsQueueName"]
    queue = evaluate(passed, mg, {"eventDelivery": delivery})
    assert queue == (RESOURCE_EVENTS if delivery == "queue" else "")
    grants = ONBOARDING / "central-grants.bicep"
    granter = resources(grants)["queueSenderGranter"]
    assert "resourceEventsQueueName" in json.dumps(granter["config"]["condition"])
    body = config(granter)
    assert _accessor(body["scope"]) == ["storage", "queueServices", "resourceEventsQueue"]
    assert body["properties"]["condition"] == "queueSenderCondition"
    condition = variable(grants, "queueSenderCondition")["function"]["parameters"]
    assert (condition["original_string"], condition["old_string"]) == ("conditionTemplate", "ROLE")
    assert variable(grants, condition["new_string"]) == STORAGE_QUEUE_DATA_MESSAGE_SENDER
    template = variable(grants, "conditionTemplate").replace("\\'", "'")  # pycep keeps escaped quotes
    attribute = "[Microsoft.Authorization/roleAssignments:"
    for action, source in (("write", "@Request"), ("delete", "@Resource")):
        assert f"ActionMatches{{'Microsoft.Authorization/roleAssignments/{action}'}}" in template
        assert f"{source}{attribute}RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{ROLE}}" in template
        principal = "PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}"
        assert f"{source}{attribute}{principal}" in template


def test_the_network_option_builds_the_vnet_and_a_private_endpoint_per_service() -> None:
    for name in ("network", "privateEndpoints"):
        assert modules(MAIN)[name]["config"]["condition"] == "vnetEnabled"
    vnet = config(resources(APP / "network.bicep")["vnet"])
    subnets = {subnet["name"]: subnet["properties"] for subnet in vnet["properties"]["subnets"]}
    assert set(subnets) == {"appSubnetName", "privateEndpointSubnetName"}
    (delegation,) = subnets["appSubnetName"]["delegations"]
    assert delegation["properties"]["serviceName"] == "Microsoft.App/environments"  # Flex Consumption
    assert all("networkSecurityGroup" in subnet for subnet in subnets.values())
    endpoints = config(modules(MAIN)["privateEndpoints"])["params"]["endpoints"]
    by_group = {e["groupId"]: (_accessor(e["resourceId"]), e["zone"]) for e in endpoints}
    assert by_group == {
        "blob": (["storage", "outputs", "resourceId"], "privatelink.blob.${environment().suffixes.storage}"),
        "queue": (
            ["storage", "outputs", "resourceId"],
            "privatelink.queue.${environment().suffixes.storage}",
        ),
        "table": (
            ["storage", "outputs", "resourceId"],
            "privatelink.table.${environment().suffixes.storage}",
        ),
        "vault": (["secrets", "outputs", "keyVaultId"], "privatelink.vaultcore.azure.net"),
        "topic": (["outcomeTopic", "outputs", "resourceId"], "privatelink.eventgrid.azure.net"),
    }


def test_the_storage_endpoints_are_the_services_the_host_connects_to() -> None:
    """A private endpoint for each storage service the host's identity-based connection names (blob, queue,
    table: Durable Functions and the deployment package), none for a service it does not use."""
    platform = variable(APP / "api.bicep", "platformSettings")
    services = {
        m.group(1) for key in platform if (m := re.fullmatch(r"AzureWebJobsStorage__(\w+)ServiceUri", key))
    }
    endpoints = config(modules(MAIN)["privateEndpoints"])["params"]["endpoints"]
    storage_groups = {e["groupId"] for e in endpoints if _accessor(e["resourceId"])[0] == "storage"}
    assert storage_groups == services == {"blob", "queue", "table"}


def test_every_private_endpoint_gets_its_dns_zone_linked_to_the_vnet() -> None:
    pe = APP / "private-endpoints.bicep"
    res = resources(pe)
    for name in ("zones", "zoneLinks", "privateEndpoints", "zoneGroups"):
        assert res[name]["config"]["loop_type"], name  # one of each per endpoint
    link = config(res["zoneLinks"])
    assert link["parent"] == _indexed("zones")
    assert link["properties"]["registrationEnabled"] is False
    assert link["properties"]["virtualNetwork"] == {"id": "vnetId"}
    group = config(res["zoneGroups"])
    assert group["parent"] == _indexed("privateEndpoints")
    (zone_config,) = group["properties"]["privateDnsZoneConfigs"]
    zone_id = zone_config["properties"]["privateDnsZoneId"]["operator"]["operands"]
    assert (zone_id["operand_1"], zone_id["operand_2"]) == (_indexed("zones"), "id")
    endpoint = config(res["privateEndpoints"])["properties"]
    assert endpoint["subnet"] == {"id": "subnetId"}
    (connection,) = endpoint["privateLinkServiceConnections"]
    assert connection["properties"]["groupIds"] == [
        {
            "operator": {
                "type": "property_accessor",
                "operands": {"operand_1": "endpoint", "operand_2": "groupId"},
            }
        }
    ]


def test_the_app_is_integrated_with_the_vnet_and_starts_after_its_endpoints() -> None:
    api = config(modules(MAIN)["api"])
    assert "privateEndpoints" in api["dependsOn"] and "rbac" in api["dependsOn"]
    subnet = api["params"]["virtualNetworkSubnetId"]["operator"]["operands"]
    assert subnet["condition"] == "vnetEnabled" and subnet["false_value"] == ""
    assert _accessor(subnet["true_value"]) == ["network", "outputs", "appSubnetId"]
    site = config(resources(APP / "api.bicep")["functionApp"])["properties"]
    assert site["virtualNetworkSubnetId"]["operator"]["operands"]["false_value"] == "virtualNetworkSubnetId"


@pytest.mark.parametrize("vnet", [False, True])
def test_public_network_access_closes_with_the_network_option(vnet: bool) -> None:
    """Key Vault, outcome topic and Recovery Services vaults refuse public access with the option; the storage
    firewall denies every network but lets trusted services (Event Grid's deliveries) in."""
    for module in ("storage", "outcomeTopic", "secrets", "recoveryVaults"):
        assert config(modules(MAIN)[module])["params"]["privateNetwork"] == "vnetEnabled", module
    env = {"privateNetwork": vnet}
    closed = "Disabled" if vnet else "Enabled"
    vault = config(resources(APP / "secrets.bicep")["keyVault"])["properties"]
    assert evaluate(vault["publicNetworkAccess"], APP / "secrets.bicep", env) == closed
    assert evaluate(vault["networkAcls"]["defaultAction"], APP / "secrets.bicep", env) == (
        "Deny" if vnet else "Allow"
    )
    topic = config(resources(APP / "outcome-topic.bicep")["outcomeTopic"])["properties"]
    assert evaluate(topic["publicNetworkAccess"], APP / "outcome-topic.bicep", env) == closed
    assert topic["inboundIpRules"] == []
    rsv = config(modules(APP / "recovery-vaults.bicep")["vaults"])["params"]
    assert evaluate(rsv["publicNetworkAccess"], APP / "recovery-vaults.bicep", env) == closed
    storage = config(resources(APP / "storage.bicep")["storage"])["properties"]
    acls = evaluate(storage["networkAcls"], APP / "storage.bicep", env)
    assert acls == {
        "defaultAction": "Deny" if vnet else "Allow",
        "bypass": "AzureServices",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    assert storage["publicNetworkAccess"] == "Enabled"  # trusted services need it: infra/README.md
