-- The transport relay keeps one position per store instead of one unpublished_events row per event. A store's
-- relay publishes its events in journal order and moves on only once the transport acknowledged them, so "every
-- event up to store_seq N is acknowledged" says what the queue table said, without an insert in every commit and a
-- delete after every publish (together 11% of PostgreSQL's statement time at 2,000 tx/s; docs/performance.md).
create table relay_positions (
    store_id      integer primary key,
    published_seq bigint not null -- the transport acknowledged this store's events up to this store_seq
);

-- Events recorded before the journal (migration 0014 gave the unacknowledged ones negative positions, in recording
-- order) take those positions as their store_seq, so the relay reads them first. Activations never replay them:
-- a checkpoint's position is never negative.
update ledger_transactions l
   set store_seq = u.store_seq
  from unpublished_events u
 where u.event_id = l.event_id and l.store_seq is null;

-- What a store's queue held was always its newest events (the relay acknowledged oldest first): the position is
-- just before the oldest of them, or the store's last event when nothing was waiting.
insert into relay_positions (store_id, published_seq)
select s.store_id, coalesce((select min(u.store_seq) - 1 from unpublished_events u where u.store_id = s.store_id), s.last_seq)
from (select store_id, max(store_seq) as last_seq from ledger_transactions where store_seq is not null group by store_id) s;

drop table unpublished_events;

-- The same question, now answered from the journal: the events the transport has not acknowledged yet.
create view unpublished_events as
select l.event_id, l.store_id, l.store_seq
from ledger_transactions l
left join relay_positions r using (store_id)
where l.store_seq > coalesce(r.published_seq, 0);
