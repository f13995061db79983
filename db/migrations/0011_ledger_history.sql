-- Ledger history: every transaction a store accepted or refused, written by the store grain's outbox.
-- All inserts are keyed on the transaction id, so a redelivered outbox entry changes nothing.

-- One row per transaction id, whatever its kind or outcome: the idempotency record. A retried request is
-- answered from `outcome` (the exact answer the first call got).
create table ledger_transactions (
    transaction_id      uuid primary key,
    store_id            integer not null references stores (store_id),
    kind                text not null check (kind in ('sale', 'rental', 'return')),
    status              text not null check (status in ('accepted', 'refused')),
    request_fingerprint text not null,
    event_id            uuid not null unique,
    event_type          text not null,
    occurred_at         timestamptz not null,
    local_date          date not null,
    outcome             jsonb not null,
    recorded_at         timestamptz not null default now()
);
create index ledger_transactions_store_time_idx on ledger_transactions (store_id, occurred_at);

create table sales (
    transaction_id uuid primary key references ledger_transactions (transaction_id),
    store_id       integer not null references stores (store_id),
    employee_id    integer not null references employees (employee_id),
    customer_id    integer references customers (customer_id),
    occurred_at    timestamptz not null,
    local_date     date not null,
    total          numeric(12, 2) not null check (total >= 0)
);
create index sales_store_date_idx on sales (store_id, local_date);
create index sales_customer_idx on sales (customer_id) where customer_id is not null;
create index sales_employee_date_idx on sales (employee_id, local_date);

create table sale_lines (
    transaction_id uuid not null references sales (transaction_id),
    line_number    smallint not null check (line_number > 0),
    item_id        integer not null references catalog_items (item_id),
    quantity       integer not null check (quantity > 0),
    unit_price     numeric(10, 2) not null check (unit_price >= 0),
    discount       numeric(10, 2) not null check (discount >= 0),
    line_total     numeric(12, 2) not null check (line_total >= 0),
    primary key (transaction_id, line_number)
);
create index sale_lines_item_idx on sale_lines (item_id);

create table rentals (
    rental_id   uuid primary key references ledger_transactions (transaction_id),
    store_id    integer not null references stores (store_id),
    employee_id integer not null references employees (employee_id),
    customer_id integer not null references customers (customer_id),
    started_at  timestamptz not null,
    local_date  date not null,
    days        smallint not null check (days between 1 and 365),
    due_date    date not null,
    total       numeric(12, 2) not null check (total >= 0),
    status      text not null default 'open' check (status in ('open', 'closed')),
    closed_at   timestamptz,
    check (due_date > local_date),
    check ((status = 'closed') = (closed_at is not null))
);
create index rentals_customer_open_idx on rentals (customer_id) where status = 'open';
create index rentals_store_date_idx on rentals (store_id, local_date);

create table rental_lines (
    rental_id   uuid not null references rentals (rental_id),
    line_number smallint not null check (line_number > 0),
    item_id     integer not null references catalog_items (item_id),
    quantity    integer not null check (quantity > 0),
    daily_price numeric(10, 2) not null check (daily_price >= 0),
    unit_price  numeric(10, 2) not null check (unit_price >= 0),
    discount    numeric(10, 2) not null check (discount >= 0),
    line_total  numeric(12, 2) not null check (line_total >= 0),
    primary key (rental_id, line_number)
);
create index rental_lines_item_idx on rental_lines (item_id);

create table returns (
    transaction_id uuid primary key references ledger_transactions (transaction_id),
    rental_id      uuid not null unique references rentals (rental_id),
    store_id       integer not null references stores (store_id),
    employee_id    integer not null references employees (employee_id),
    returned_at    timestamptz not null,
    local_date     date not null,
    late_days      integer not null check (late_days >= 0),
    late_fee       numeric(12, 2) not null check (late_fee >= 0),
    fee_paid       boolean not null
);
create index returns_unpaid_idx on returns (rental_id) where not fee_paid and late_fee > 0;

-- Money that changed hands, whatever the transaction kind (sale, rental paid up front, late fee).
create table payments (
    transaction_id uuid primary key references ledger_transactions (transaction_id),
    method         text not null check (method in ('cash', 'debit_card', 'credit_card', 'pix')),
    installments   smallint not null check (installments between 1 and 12),
    amount         numeric(12, 2) not null check (amount >= 0),
    check (method = 'credit_card' or installments = 1)
);

-- Lost sales and rentals are business data: what was asked, by whom, and why it was refused.
create table refused_transactions (
    transaction_id uuid primary key references ledger_transactions (transaction_id),
    store_id       integer not null references stores (store_id),
    employee_id    integer,
    customer_id    integer,
    attempted_kind text not null check (attempted_kind in ('sale', 'rental', 'return')),
    code           text not null,
    message        text not null,
    item_id        integer,
    occurred_at    timestamptz not null,
    local_date     date not null
);
create index refused_transactions_code_idx on refused_transactions (store_id, code, local_date);
