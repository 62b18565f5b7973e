"""The webhook endpoints: subscriptions and their delivery log."""

from __future__ import annotations

from rest_compat import inputs
from rest_compat.endpoint import Endpoint
from rest_compat.rows.common import PAGE_INFO, PAGE_VARS, USER_ERRORS
from storegraph.platform.auth.scopes import Scope

ROWS: tuple[Endpoint, ...] = (
    Endpoint(
        name="ListWebhooks",
        method="GET",
        path="/v1/webhooks",
        scope=Scope.WEBHOOKS_READ,
        summary="The store's webhook subscriptions, newest first; never a signing secret",
        operation=(
            "query ListWebhooks($first: Int!, $after: String) "
            f"{{ webhookSubscriptions(first: $first, after: $after) {{ nodes {{ ...Webhook }} {PAGE_INFO} }} }}"
        ),
        result="webhookSubscriptions",
        result_kind="list",
        fragment="Webhook",
        resource="Webhook",
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="CreateWebhook",
        method="POST",
        path="/v1/webhooks",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Subscribe an endpoint to events; the response carries its signing secret, once",
        description="The URL's port, when it has one, is a number up to 65535.",
        operation=(
            "mutation CreateWebhook($input: CreateWebhookSubscriptionInput!) "
            f"{{ createWebhookSubscription(input: $input) {{ ...CreatedWebhook {USER_ERRORS} }} }}"
        ),
        result="createWebhookSubscription",
        user_errors="createWebhookSubscription.userErrors",
        fragment="CreatedWebhook",
        resource="Webhook",
        status=201,
        body=inputs.CreateWebhookBody,
        body_var="input",
    ),
    Endpoint(
        name="DeleteWebhook",
        method="DELETE",
        path="/v1/webhooks/{id}",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Delete a subscription; its endpoint receives no further deliveries",
        operation=(
            "mutation DeleteWebhook($id: ID!) "
            f"{{ deleteWebhookSubscription(id: $id) {{ ...DeletedWebhook {USER_ERRORS} }} }}"
        ),
        result="deleteWebhookSubscription",
        user_errors="deleteWebhookSubscription.userErrors",
        fragment="DeletedWebhook",
        resource="Webhook",
        path_vars={"id": "id"},
    ),
    Endpoint(
        name="ListWebhookDeliveries",
        method="GET",
        path="/v1/webhooks/{id}/deliveries",
        scope=Scope.WEBHOOKS_READ,
        summary="A subscription's delivery attempts, newest first",
        description="Each attempt with the endpoint's status code, the time it took and the start of its answer.",
        operation=(
            "query ListWebhookDeliveries($id: ID!, $first: Int!, $after: String) "
            "{ webhookDeliveries(subscriptionId: $id, first: $first, after: $after) "
            f"{{ nodes {{ ...WebhookDelivery }} {PAGE_INFO} }} }}"
        ),
        result="webhookDeliveries",
        result_kind="list",
        fragment="WebhookDelivery",
        resource="Webhook",
        path_vars={"id": "id"},
        query=inputs.Page,
        query_vars=PAGE_VARS,
    ),
    Endpoint(
        name="RedeliverWebhook",
        method="POST",
        path="/v1/webhooks/{id}/redeliver",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Send a logged delivery of this subscription again",
        description=(
            "Queues the delivery's event for the endpoint again under the same `X-DZ-Delivery`, with a fresh retry "
            "schedule; 202 once it is queued, and each attempt joins the delivery log. A disabled subscription must "
            "be enabled first (`validation_error` with code `subscription_disabled`)."
        ),
        operation=(
            "mutation RedeliverWebhook($input: RedeliverWebhookInput!) "
            f"{{ redeliverWebhook(input: $input) {{ ...Redelivery {USER_ERRORS} }} }}"
        ),
        result="redeliverWebhook",
        user_errors="redeliverWebhook.userErrors",
        fragment="Redelivery",
        resource="Webhook delivery",
        status=202,
        path_vars={"id": "input.subscriptionId"},
        body=inputs.RedeliverWebhookBody,
        body_var="input",
    ),
    Endpoint(
        name="EnableWebhook",
        method="POST",
        path="/v1/webhooks/{id}/enable",
        scope=Scope.WEBHOOKS_WRITE,
        summary="Turn a subscription that was disabled for failing back on",
        description="It receives the store's events again from now on; `failing_since` and `disabled_reason` clear.",
        operation=(
            "mutation EnableWebhook($id: ID!) "
            f"{{ enableWebhookSubscription(id: $id) {{ webhookSubscription {{ ...Webhook }} {USER_ERRORS} }} }}"
        ),
        result="enableWebhookSubscription.webhookSubscription",
        user_errors="enableWebhookSubscription.userErrors",
        fragment="Webhook",
        resource="Webhook",
        path_vars={"id": "id"},
    ),
)
