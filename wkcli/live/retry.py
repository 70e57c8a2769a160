"""WuKongIM's webhook retry schedule (v3 ``internal/webhook/webhook.go``), for ``replay --retry``."""

from __future__ import annotations

from dataclasses import dataclass

from wkcli.webhook.model import MSG_NOTIFY, USER_ONLINESTATUS

# internal/options/options.go: Webhook.MsgNotifyEventRetryMaxCount defaults to 5. A batch that
# fails is counted against each of its messages; at the 5th failure a message is dropped, so a
# receiver sees at most 5 deliveries. user.onlinestatus uses the same setting.
MAX_ATTEMPTS = 5
# notifyQueueLoop and loopOnlineStatus: errorSleepTime / time.Sleep(time.Second * 1) after a failure.
RETRY_WAIT = 1.0
# The v3 http.Client: Dialer.Timeout 5 s, Transport.ResponseHeaderTimeout 10 s, Client.Timeout 30 s.
CONNECT_TIMEOUT = 5.0
HEADER_TIMEOUT = 10.0  # (and 30 s for the whole exchange: replay's own --timeout default)

# Events WuKongIM sends again after a failure. msg.offline goes through TriggerEvent, which only
# logs a failed send: never retried.
RETRIED_EVENTS = frozenset((MSG_NOTIFY, USER_ONLINESTATUS))


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to send a request that did not get HTTP 200, and how long to wait between."""

    max_attempts: int = MAX_ATTEMPTS
    wait: float = RETRY_WAIT

    def attempts_for(self, event: str) -> int:
        """The most attempts WuKongIM makes for ``event``: 1 for events it never retries.

        Events it does not define (a dump may name anything) are not retried either.
        """
        return self.max_attempts if event in RETRIED_EVENTS else 1
