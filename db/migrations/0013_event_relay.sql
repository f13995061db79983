-- The history table doubles as the transport's durable queue: each transaction's CloudEvent is kept with it,
-- and published_at is set once the transport acknowledged it. A broker outage then grows this table, not the
-- store grain's state, and a restarted silo republishes whatever is still unpublished.
alter table ledger_transactions
    add column event_payload bytea,
    add column published_at timestamptz;

create index ledger_transactions_unpublished_idx on ledger_transactions (store_id, recorded_at)
    where published_at is null;
