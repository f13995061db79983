-- The history tables become the store ledger's journal: a store grain commits each batch of transactions here,
-- in one database transaction, before it answers anyone. store_seq numbers a store's transactions in the order
-- they were applied; the unique index is also the fence if two activations of one store ever wrote at once.
-- The grain's Orleans state is a checkpoint (stock, open rentals, the store_seq it includes): an activation
-- loads it and replays the journal after it.
alter table ledger_transactions
    add column store_seq bigint,
    -- An accepted return whose customer account has not been told yet (the customer's open rentals and fees).
    add column customer_pending boolean not null default false;

create unique index ledger_transactions_store_seq_idx on ledger_transactions (store_id, store_seq);
create index ledger_transactions_customer_pending_idx on ledger_transactions (store_id) where customer_pending;
