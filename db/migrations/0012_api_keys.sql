-- Gateway credentials: each key belongs to one store and one role. Only a SHA-256 hash of the key is kept.
create table api_keys (
    api_key_id  serial primary key,
    key_hash    char(64) not null unique,
    store_id    integer not null references stores (store_id),
    role        text not null check (role in ('clerk', 'manager')),
    label       text not null,
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);
