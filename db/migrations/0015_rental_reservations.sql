-- A customer's rental reservation (taken against the chain-wide rental limit before a store commits the rental)
-- is written by the silo's journal writer, merged with the stores' commits, instead of as the customer grain's
-- own Orleans state write (one more database transaction per rental). A row lives from the reservation until the
-- store's commit of the rental deletes it in the same transaction that inserts the rental, or until the customer
-- grain releases a reservation its store never recorded (Ledger:ReservationTimeout). A customer grain loads its
-- account from here, the open rentals, and the unpaid late fees of its returns.
create table rental_reservations (
    rental_id   uuid primary key,
    customer_id integer not null,
    store_id    integer not null,
    copies      integer not null check (copies > 0),
    started_at  timestamptz not null,
    due_date    date not null,
    reserved_at timestamptz not null
);
create index rental_reservations_customer_idx on rental_reservations (customer_id);

-- The customer's rentals, open or closed (their returns' unpaid fees), by customer. The partial index on open
-- rentals also made closing a rental rewrite every index entry of the row (its predicate reads status).
drop index if exists rentals_customer_open_idx;
create index rentals_customer_idx on rentals (customer_id);
