-- Sink dedupe without rewriting every claimed row at commit. Until 0030 a batch's commit updated each of its
-- sink_events rows from 'pending' to 'committed': a second heap tuple, new index entries and WAL per event, only
-- to flip a flag. Now the commit inserts one row per lake object it wrote into sink_batches, and an event's
-- state follows from its claim: its (batch, object) in sink_batches → in the lake; not there → pending (taken
-- over once its object is known to be missing and the claim is its own instance's or older than the lease).
-- A claim only ever names an object that holds exactly the events claimed for it, so committing the object
-- commits each of them. See docs/analytics.md, "Exactly once in the lake".
create table sink_batches (
    batch_id     text not null,
    object_name  text not null,
    committed_at timestamptz not null default now(),
    primary key (batch_id, object_name)
);

-- Carry over: an event was marked committed only once its object existed (by its batch's commit, or by a later
-- delivery that found the object), so each object named by a committed event is a written one.
insert into sink_batches (batch_id, object_name, committed_at)
select batch_id, object_name, coalesce(min(committed_at), now())
from sink_events
where state = 'committed'
group by batch_id, object_name;

-- Nothing reads the pending-by-batch index any more (the commit no longer touches sink_events), and every claim
-- paid for an entry in it. A sink still running the old code fails on the dropped column and asks for a
-- redelivery, rather than committing events the new schema would not see as committed.
drop index sink_events_pending_batch_idx;
alter table sink_events drop column state, drop column committed_at;

-- The state as 0030 spelled it, for people and tests reading the table by hand.
create view sink_event_states as
select e.event_id, e.batch_id, e.object_name, e.owner, e.claimed_at,
       case when b.batch_id is null then 'pending' else 'committed' end as state,
       b.committed_at
from sink_events e
left join sink_batches b on b.batch_id = e.batch_id and b.object_name = e.object_name;
