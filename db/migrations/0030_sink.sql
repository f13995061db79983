-- Sink dedupe: every event id the sink has put (or is putting) into the lake, with the lake object that holds it.
-- A batch claims its ids as 'pending' before its objects are written and marks them 'committed' after; a
-- redelivered id that is committed is a duplicate, one left pending by a crash is resolved by looking for its
-- object (there: duplicate; missing: the event is written again). See docs/analytics.md.
create table sink_events (
    event_id     uuid primary key,
    batch_id     text not null,
    object_name  text not null,
    state        text not null check (state in ('pending', 'committed')),
    owner        text not null,
    claimed_at   timestamptz not null default now(),
    committed_at timestamptz
);
create index sink_events_pending_batch_idx on sink_events (batch_id) where state = 'pending';
