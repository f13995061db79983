-- Late fee payments: a fee a return left owed is paid afterwards, at the store that took the return, as a
-- transaction of its own (kind 'late_fee_payment'). Before this, an unpaid fee could never be settled, so the
-- customer stayed blocked from renting for good.
alter table ledger_transactions drop constraint ledger_transactions_kind_check;
alter table ledger_transactions add constraint ledger_transactions_kind_check
    check (kind in ('sale', 'rental', 'return', 'late_fee_payment'));
alter table refused_transactions drop constraint refused_transactions_attempted_kind_check;
alter table refused_transactions add constraint refused_transactions_attempted_kind_check
    check (attempted_kind in ('sale', 'rental', 'return', 'late_fee_payment'));

-- One row per payment; the money itself is a payments row like any other (same transaction_id). A return's fee is
-- paid at most once (rental_id unique); the same commit sets the return's fee_paid.
create table late_fee_payments (
    transaction_id uuid primary key,
    rental_id      uuid not null unique,
    store_id       integer not null,
    employee_id    integer not null,
    customer_id    integer not null,
    paid_at        timestamptz not null,
    local_date     date not null,
    amount         numeric(12, 2) not null check (amount > 0)
);
create index late_fee_payments_store_date_idx on late_fee_payments (store_id, local_date);

-- A store grain loads the fees its returns left owed when it activates.
create index returns_store_unpaid_idx on returns (store_id) where not fee_paid and late_fee > 0;

-- The references are kept by the ledger and checked here, like the other history tables' (0016).
create or replace view ledger_reference_violations as
          select 'ledger_transactions.store_id' as reference, l.transaction_id as transaction_id from ledger_transactions l
           where not exists (select from stores x where x.store_id = l.store_id)
union all select 'sales.transaction_id', s.transaction_id from sales s
           where not exists (select from ledger_transactions x where x.transaction_id = s.transaction_id)
union all select 'sales.store_id', s.transaction_id from sales s where not exists (select from stores x where x.store_id = s.store_id)
union all select 'sales.employee_id', s.transaction_id from sales s where not exists (select from employees x where x.employee_id = s.employee_id)
union all select 'sales.customer_id', s.transaction_id from sales s
           where s.customer_id is not null and not exists (select from customers x where x.customer_id = s.customer_id)
union all select 'sale_lines.transaction_id', l.transaction_id from sale_lines l
           where not exists (select from sales x where x.transaction_id = l.transaction_id)
union all select 'sale_lines.item_id', l.transaction_id from sale_lines l where not exists (select from catalog_items x where x.item_id = l.item_id)
union all select 'rentals.rental_id', r.rental_id from rentals r
           where not exists (select from ledger_transactions x where x.transaction_id = r.rental_id)
union all select 'rentals.store_id', r.rental_id from rentals r where not exists (select from stores x where x.store_id = r.store_id)
union all select 'rentals.employee_id', r.rental_id from rentals r where not exists (select from employees x where x.employee_id = r.employee_id)
union all select 'rentals.customer_id', r.rental_id from rentals r where not exists (select from customers x where x.customer_id = r.customer_id)
union all select 'rental_lines.rental_id', l.rental_id from rental_lines l where not exists (select from rentals x where x.rental_id = l.rental_id)
union all select 'rental_lines.item_id', l.rental_id from rental_lines l where not exists (select from catalog_items x where x.item_id = l.item_id)
union all select 'returns.transaction_id', t.transaction_id from returns t
           where not exists (select from ledger_transactions x where x.transaction_id = t.transaction_id)
union all select 'returns.rental_id', t.transaction_id from returns t where not exists (select from rentals x where x.rental_id = t.rental_id)
union all select 'returns.store_id', t.transaction_id from returns t where not exists (select from stores x where x.store_id = t.store_id)
union all select 'returns.employee_id', t.transaction_id from returns t where not exists (select from employees x where x.employee_id = t.employee_id)
union all select 'payments.transaction_id', p.transaction_id from payments p
           where not exists (select from ledger_transactions x where x.transaction_id = p.transaction_id)
union all select 'refused_transactions.transaction_id', f.transaction_id from refused_transactions f
           where not exists (select from ledger_transactions x where x.transaction_id = f.transaction_id)
union all select 'refused_transactions.store_id', f.transaction_id from refused_transactions f
           where not exists (select from stores x where x.store_id = f.store_id)
union all select 'late_fee_payments.transaction_id', p.transaction_id from late_fee_payments p
           where not exists (select from ledger_transactions x where x.transaction_id = p.transaction_id)
union all select 'late_fee_payments.rental_id', p.transaction_id from late_fee_payments p
           where not exists (select from returns x where x.rental_id = p.rental_id and x.store_id = p.store_id)
union all select 'late_fee_payments.employee_id', p.transaction_id from late_fee_payments p
           where not exists (select from employees x where x.employee_id = p.employee_id)
union all select 'late_fee_payments.customer_id', p.transaction_id from late_fee_payments p
           where not exists (select from customers x where x.customer_id = p.customer_id);
