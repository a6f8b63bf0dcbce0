"""Sweep activities: one Resource Graph page, one ARM list or GET, the share plan, the classification,
remediation, the event.

Thin wrappers around :mod:`shared.compliance.steps` (the workstation command runs the same steps).
"""

from __future__ import annotations

from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from functions import runtime
from functions.compliance.blueprint import bp
from functions.protection.queues import PROTECTION_REQUESTS
from shared.arm.client import correlation
from shared.compliance import shares, steps
from shared.compliance.shares import ShareListRequest, ShareListResult, SharePlan, SharePlanRequest
from shared.compliance.steps import (
    ClassifyRequest,
    ListRequest,
    ListResult,
    PageRequest,
    PageResult,
    PolicyInterval,
    PolicyRequest,
    RemediateRequest,
    RemediationResult,
    SweepSummary,
)
from shared.config import Settings
from shared.errors import ConfigError
from shared.events import sweep_event


@bp.activity_trigger(input_name="payload")
async def sweep_fetch_page(payload: PageRequest) -> PageResult:
    with correlation(payload.correlation_id):
        return await steps.fetch_page(runtime.arm(), runtime.store(), payload)


@bp.activity_trigger(input_name="payload")
async def sweep_list_databases(payload: ListRequest) -> ListResult:
    with correlation(payload.correlation_id):
        return await steps.list_databases(runtime.arm(), runtime.store(), payload)


@bp.activity_trigger(input_name="payload")
async def sweep_plan_shares(payload: SharePlanRequest) -> SharePlan:
    """The storage accounts whose file shares to list (no ARM call: the staged pages and the rules)."""
    return await shares.plan_share_lists(runtime.store(), runtime.rules(), payload)


@bp.activity_trigger(input_name="payload")
async def sweep_list_shares(payload: ShareListRequest) -> ShareListResult:
    with correlation(payload.correlation_id):
        return await shares.list_shares(runtime.arm(), runtime.store(), payload)


@bp.activity_trigger(input_name="payload")
async def sweep_read_policy(payload: PolicyRequest) -> PolicyInterval:
    with correlation(payload.correlation_id):
        return await steps.read_policy(runtime.arm(), payload)


@bp.activity_trigger(input_name="payload")
async def sweep_classify(payload: ClassifyRequest) -> SweepSummary:
    summary = await steps.classify_sweep(runtime.store(), runtime.rules(), payload)
    await steps.mark_latest(runtime.store(), payload.sweep.id, payload.sweep.finished_at or "")
    return summary


def _queue(settings: Settings) -> QueueClient:
    """The protection request queue, encoded as the host reads it (host.json ``messageEncoding: base64``)."""
    policy = TextBase64EncodePolicy()
    if settings.storage_connection_string:
        return QueueClient.from_connection_string(
            settings.storage_connection_string, PROTECTION_REQUESTS, message_encode_policy=policy
        )
    if settings.storage_queue_endpoint:
        from azure.identity.aio import DefaultAzureCredential

        return QueueClient(
            settings.storage_queue_endpoint,
            PROTECTION_REQUESTS,
            credential=DefaultAzureCredential(),
            message_encode_policy=policy,
        )
    raise ConfigError("AzureWebJobsStorage", "remediation needs the app's storage (connection or endpoint)")


@bp.activity_trigger(input_name="payload")
async def sweep_remediate(payload: RemediateRequest) -> RemediationResult:
    async with _queue(runtime.settings()) as queue:

        async def send(text: str, delay: int) -> None:
            await queue.send_message(text, visibility_timeout=delay or None)

        return await steps.remediate(runtime.store(), payload, send)


@bp.activity_trigger(input_name="payload")
async def sweep_publish(payload: dict[str, object]) -> None:
    """Publish ``BackupAutopilot.Sweep.Completed`` with the counts."""
    await runtime.publisher().publish([sweep_event(str(payload["sweepId"]), dict(payload))])
