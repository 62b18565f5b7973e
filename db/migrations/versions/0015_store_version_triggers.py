"""the store's data version raised by the database itself, at COMMIT (PostgreSQL)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

Until now a session raised its store's counter with an upsert of its own just before COMMIT: one round trip more
for every write transaction. On PostgreSQL a deferred constraint trigger on every table of store data now does it,
at COMMIT, in the COMMIT's own round trip: once per store and transaction (the stores raised are noted in the
transaction-local setting ``storegraph.raised_stores``), on the row of the shard the connection was given when it
opened (``storegraph.version_shard``, set then by db/queries/store_versions.py; a connection without it, such as
``psql``'s, uses its backend's pid). A rolled-back savepoint discards its rows' events, so what it undid raises
nothing. The store comes from the row itself (``store_id``; ``id`` for ``stores``; its order's for an order's
lines and history). A key's ``last_used_at`` raises nothing (no GET answers from it), nor does ``stores.data_version``
(the releases before 0014 raise their version there, which the version read counts already). The bookkeeping tables
(jobs, the outbox, idempotency records, usage counters, the counters themselves) have no trigger.

A connection opened before this migration ran still upserts the counter itself (it looks for the trigger's function
when it opens): raising a version twice is harmless, not raising it would make GETs answer 304 to changed data.
For the same reason, restart the processes after a downgrade past this migration: their connections opened since
it ran would otherwise count on triggers that are gone. The function runs with the search path the migration ran
with (a restore that empties it still finds the tables). SQLite keeps the session's upsert.
"""
from __future__ import annotations

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

FUNCTION = 'storegraph_raise_store_version'
TRIGGER = 'storegraph_raise_store_version'
KEY_ROWS_TRIGGER = 'storegraph_raise_store_version_of_keys'
# Each table of store data, and where its rows' store is: their ``store_id``, their own ``id``, their order's.
STORE_TABLES = (
    'customers', 'customer_addresses', 'customer_tags', 'delivery_zones', 'event_counts', 'house_account_transactions',
    'landing_pages', 'loyalty_transactions', 'orders', 'products', 'reviews', 'signups', 'tracked_events',
    'webhook_deliveries', 'webhook_subscriptions', 'zone_wilayas',
)
ORDER_TABLES = ('order_items', 'order_status_changes')
CREATE_FUNCTION = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    changed record;
    raised_store bigint;
    raised text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_ARGV[0] = 'id' THEN
        raised_store := changed.id;
    ELSIF TG_ARGV[0] = 'order' THEN
        SELECT orders.store_id INTO raised_store FROM orders WHERE orders.id = changed.order_id;
    ELSE
        raised_store := changed.store_id;
    END IF;
    IF raised_store IS NULL THEN
        RETURN NULL;
    END IF;
    raised := coalesce(current_setting('storegraph.raised_stores', true), '');
    IF position(',' || raised_store || ',' IN raised) > 0 THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('storegraph.raised_stores', coalesce(nullif(raised, ''), ',') || raised_store || ',', true);
    INSERT INTO store_versions (store_id, shard, version)
    SELECT stores.id,
           coalesce(nullif(current_setting('storegraph.version_shard', true), '')::smallint,
                    (pg_backend_pid() % 32)::smallint),
           1
    FROM stores WHERE stores.id = raised_store
    ON CONFLICT (store_id, shard) DO UPDATE SET version = store_versions.version + 1;
    RETURN NULL;
END
$$
"""


def _create_trigger(table: str, events: str, store: str, *, when: str = '', name: str = TRIGGER) -> None:
    op.execute(
        f'CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} DEFERRABLE INITIALLY DEFERRED '
        f"FOR EACH ROW {when} EXECUTE FUNCTION {FUNCTION}('{store}')"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(CREATE_FUNCTION)
    for table in STORE_TABLES:
        _create_trigger(table, 'INSERT OR UPDATE OR DELETE', 'store_id')
    for table in ORDER_TABLES:
        _create_trigger(table, 'INSERT OR UPDATE OR DELETE', 'order')
    # A store's own row: its settings, not the column the releases before 0014 raised their version in. A new
    # store has no answer to change yet, and a gone one none.
    _create_trigger('stores', 'UPDATE', 'id', when='WHEN (OLD.data_version = NEW.data_version)')
    # A key: not the ``last_used_at`` authentication writes (WHEN can only read OLD and NEW on an UPDATE's trigger).
    _create_trigger('api_keys', 'INSERT OR DELETE', 'store_id', name=KEY_ROWS_TRIGGER)
    _create_trigger(
        'api_keys', 'UPDATE', 'store_id', when='WHEN (OLD.last_used_at IS NOT DISTINCT FROM NEW.last_used_at)'
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in (*STORE_TABLES, *ORDER_TABLES, 'stores', 'api_keys'):
        op.execute(f'DROP TRIGGER {TRIGGER} ON {table}')
    op.execute(f'DROP TRIGGER {KEY_ROWS_TRIGGER} ON api_keys')
    op.execute(f'DROP FUNCTION {FUNCTION}()')
