-- The history tables are the ledger's journal and have one writer: a store grain's commit inserts each
-- transaction with all its detail rows in one statement batch, using ids the grain checked against the master
-- data just before (store, employee, customer, catalog item, and the open rental a return closes). Their foreign
-- keys re-checked every one of those references row by row, each check a query with a row lock on the referenced
-- row: in a commit of 300 two-line sales that was 40% of PostgreSQL's CPU (docs/performance.md).
--
-- The references stay what they were, and stay checked: docs/data-model.md draws them, the view
-- ledger_reference_violations lists every history row that breaks one (the ledger tests assert it is empty), and
-- the rows they point at can no longer disappear, because master data is retired by deactivating it
-- (active = false, which is how the ledger refuses a closed store, a former clerk or a withdrawn title) and an id
-- never changes: deleting a master row, or changing its id, is refused.
do $$
declare
    fk record;
begin
    for fk in
        select conrelid::regclass as tab, conname
        from pg_constraint
        where contype = 'f'
          and conrelid in ('ledger_transactions'::regclass, 'sales'::regclass, 'sale_lines'::regclass, 'rentals'::regclass,
                           'rental_lines'::regclass, 'returns'::regclass, 'payments'::regclass, 'refused_transactions'::regclass)
    loop
        execute format('alter table %s drop constraint %I', fk.tab, fk.conname);
    end loop;
end $$;

create function master_data_is_retired_not_removed() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception '% rows are deactivated (active = false), not deleted: the ledger history refers to them', tg_table_name
            using errcode = 'restrict_violation';
    end if;
    raise exception 'the id of a % row never changes: the ledger history refers to it', tg_table_name
        using errcode = 'restrict_violation';
end $$;

create trigger stores_not_deleted before delete on stores
    for each row execute function master_data_is_retired_not_removed();
create trigger stores_id_kept before update of store_id on stores
    for each row when (old.store_id is distinct from new.store_id) execute function master_data_is_retired_not_removed();
create trigger employees_not_deleted before delete on employees
    for each row execute function master_data_is_retired_not_removed();
create trigger employees_id_kept before update of employee_id on employees
    for each row when (old.employee_id is distinct from new.employee_id) execute function master_data_is_retired_not_removed();
create trigger customers_not_deleted before delete on customers
    for each row execute function master_data_is_retired_not_removed();
create trigger customers_id_kept before update of customer_id on customers
    for each row when (old.customer_id is distinct from new.customer_id) execute function master_data_is_retired_not_removed();
create trigger catalog_items_not_deleted before delete on catalog_items
    for each row execute function master_data_is_retired_not_removed();
create trigger catalog_items_id_kept before update of item_id on catalog_items
    for each row when (old.item_id is distinct from new.item_id) execute function master_data_is_retired_not_removed();

-- Every history row whose reference does not resolve: what the dropped foreign keys would have refused. Empty.
create view ledger_reference_violations as
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
           where not exists (select from stores x where x.store_id = f.store_id);
