-- Master data: who sells (stores, employees), to whom (customers) and what (catalog items).
-- Ids are plain integers chosen by the back office (and by the seed generator), so they stay stable across
-- environments and read well in URLs, events and support tickets.

create extension if not exists pg_trgm;

create table stores (
    store_id      integer primary key check (store_id > 0),
    code          text not null unique,
    name          text not null,
    street        text not null,
    street_number text not null,
    district      text not null,
    city          text not null,
    state         char(2) not null,
    postal_code   char(8) not null check (postal_code ~ '^[0-9]{8}$'),
    timezone      text not null,
    phone         text,
    opened_on     date not null,
    active        boolean not null default true,
    created_at    timestamptz not null default now()
);

create table employees (
    employee_id integer primary key check (employee_id > 0),
    store_id    integer not null references stores (store_id),
    full_name   text not null,
    email       text not null unique,
    role        text not null check (role in ('clerk', 'manager')),
    hired_on    date not null,
    active      boolean not null default true,
    created_at  timestamptz not null default now()
);
create index employees_store_idx on employees (store_id);

-- The CPF is personal data: it lives here and nowhere else. Events carry a keyed hash of it instead.
create table customers (
    customer_id       integer primary key check (customer_id > 0),
    cpf               char(11) not null unique check (cpf ~ '^[0-9]{11}$'),
    full_name         text not null,
    email             text,
    phone             text,
    birth_date        date,
    city              text,
    state             char(2),
    marketing_consent boolean not null default false,
    consent_at        timestamptz,
    active            boolean not null default true,
    created_at        timestamptz not null default now(),
    check (marketing_consent = (consent_at is not null))
);

create table catalog_items (
    item_id            integer primary key check (item_id > 0),
    media_type         text not null check (media_type in ('book', 'movie', 'series_dvd')),
    title              text not null,
    genre              text not null,
    creator            text,
    release_year       smallint check (release_year between 1450 and 2100),
    ean                char(13) unique check (ean ~ '^[0-9]{13}$'),
    isbn               char(13) unique check (isbn ~ '^97[89][0-9]{10}$'),
    sale_price         numeric(10, 2) not null check (sale_price >= 0),
    daily_rental_price numeric(10, 2) not null check (daily_rental_price >= 0),
    sellable           boolean not null default true,
    rentable           boolean not null default true,
    active             boolean not null default true,
    created_at         timestamptz not null default now(),
    check (media_type <> 'book' or isbn is not null)
);
create index catalog_items_title_trgm_idx on catalog_items using gin (title gin_trgm_ops);
create index catalog_items_media_type_idx on catalog_items (media_type, item_id);

-- Stock per store and item. The store grain owns the live figures; the ledger's outbox keeps this table in
-- step after every accepted transaction, so SQL users see current stock without asking a grain.
create table stock (
    store_id            integer not null references stores (store_id),
    item_id             integer not null references catalog_items (item_id),
    copies_for_sale     integer not null check (copies_for_sale >= 0),
    rental_copies_owned integer not null check (rental_copies_owned >= 0),
    rental_copies_out   integer not null default 0 check (rental_copies_out >= 0),
    updated_at          timestamptz not null default now(),
    primary key (store_id, item_id),
    check (rental_copies_out <= rental_copies_owned)
);
create index stock_item_idx on stock (item_id);
