-- The history tables become the store ledger's journal: a store grain commits each batch of transactions here,
-- in one database transaction, before it answers anyone. store_seq numbers a store's transactions in the order
-- they were applied; the unique index is also the fence if two activations of one store ever wrote at once.
-- The grain's Orleans state is a checkpoint (stock, open rentals, the store_seq it includes): an activation
-- loads it and replays the journal after it.
alter table ledger_transactions add column store_seq bigint;
create unique index ledger_transactions_store_seq_idx on ledger_transactions (store_id, store_seq);

-- Work left after a commit, one narrow row per item, written in the commit and deleted when done: the event the
-- transport has not acknowledged, the return a customer's account has not been told about. (Flagging the wide
-- history row instead rewrote it, and all its index entries, once more per transaction.)
create table unpublished_events (
    event_id  uuid primary key, -- ledger_transactions.event_id
    store_id  integer not null,
    store_seq bigint not null
);
create index unpublished_events_store_idx on unpublished_events (store_id, store_seq);

create table unsettled_returns (
    transaction_id uuid primary key, -- ledger_transactions.transaction_id
    store_id       integer not null,
    store_seq      bigint not null
);
create index unsettled_returns_store_idx on unsettled_returns (store_id, store_seq);

-- Events recorded before the journal and never acknowledged go first (negative positions, in recording order).
insert into unpublished_events (event_id, store_id, store_seq)
select event_id, store_id, row_number() over (partition by store_id order by recorded_at, transaction_id) - 1000000000000
from ledger_transactions
where published_at is null and event_payload is not null;

alter table ledger_transactions drop column published_at;

-- The event and the answer are written once per transaction and rarely read back: lz4 compresses a row that
-- crosses the TOAST threshold for a fraction of pglz's CPU (pglz_compress showed in a profile of the server).
alter table ledger_transactions
    alter column event_payload set compression lz4,
    alter column outcome set compression lz4;
