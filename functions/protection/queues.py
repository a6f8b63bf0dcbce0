"""Queue names the bindings declare (binding declarations are static, so they are constants here)."""

PROTECTION_REQUESTS = "protection-requests"
# Events we decided not to act on, each with its reason: visible, never silently dropped.
PROTECTION_REJECTS = "protection-rejects"
# Where the Functions host moves a message after maxDequeueCount failures; we also put malformed
# messages there ourselves, wrapped with the reason, instead of retrying what can never succeed.
PROTECTION_REQUESTS_POISON = "protection-requests-poison"
STORAGE_CONNECTION = "AzureWebJobsStorage"
