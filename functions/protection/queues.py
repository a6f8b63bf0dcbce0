"""Queue names the bindings declare (binding declarations are static, so they are constants here)."""

PROTECTION_REQUESTS = "protection-requests"
# Resource events Event Grid delivers to a storage queue (the private-network option: Event Grid cannot push
# to a Function App that has no public endpoint); read by ``on_resource_event_queued`` like the webhook's.
RESOURCE_EVENTS = "resource-events"
# Events we decided not to act on, each with its reason: visible, never silently dropped.
PROTECTION_REJECTS = "protection-rejects"
# Where the Functions host moves a message after maxDequeueCount failures; we also put malformed
# messages there ourselves, wrapped with the reason, instead of retrying what can never succeed.
PROTECTION_REQUESTS_POISON = "protection-requests-poison"
# host.json extensions.queues.maxDequeueCount: the delivery after which the host gives a message up. On that
# delivery start_protection writes the poison entry itself, with the reason, instead of raising.
MAX_DEQUEUE_COUNT = 5
# A queue message holds at most 64 KiB of base64 text: a poison entry stays within this many characters.
MAX_POISON_ENTRY = 45_000
STORAGE_CONNECTION = "AzureWebJobsStorage"
