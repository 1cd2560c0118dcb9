-- The audit trail (issue 12): pacs_audit_events becomes append-only and hash-chained, and carries who did what.
-- kind is the action ("query", "store", "login.failed", "instance.replaced", ...). Every row gets, at INSERT and in the
-- database, chain_seq (1, 2, 3, ... with no gap), prev_hash (the row_hash of chain_seq - 1; 32 zero bytes for the
-- first) and row_hash = SHA-256(prev_hash || the row's canonical text). The one-row table pacs_audit_chain holds the
-- head; the trigger takes its row lock, which is held until the inserting transaction ends, so inserts from several
-- gateways and silos are chained one after the other in commit order and can never fork the chain (a duplicate
-- chain_seq is refused by the unique constraint, a gap is found by verify).
-- UPDATE, DELETE and TRUNCATE are refused by triggers; pacs_audit_verify() recomputes the chain and names the first
-- broken row (docs/security.md, "Audit trail"; ./pacs audit verify; GET /api/audit/verify).

alter table pacs_audit_events
    add column actor          text not null default '',
    add column role           text not null default '',
    add column client_address text not null default '',
    add column session_id     text not null default '',
    add column outcome        text not null default '',
    add column patient_id     text,
    add column chain_seq      bigint,
    add column prev_hash      bytea,
    add column row_hash       bytea;

create table pacs_audit_chain (
    id   integer primary key check (id = 1),
    seq  bigint not null,
    hash bytea not null
);

-- The canonical text of a row: a JSON array of its values (jsonb prints a value one way only; the time as
-- microseconds since 1970 so that the session's TimeZone cannot change the text).
create function pacs_audit_digest(prev bytea, e pacs_audit_events) returns bytea
language sql immutable as $$
    select sha256(prev || convert_to(jsonb_build_array(
        e.chain_seq, (extract(epoch from e.occurred_at) * 1000000)::bigint, e.kind, e.actor, e.role, e.client_address,
        e.session_id, e.outcome, e.patient_id, e.study_instance_uid, e.sop_instance_uid, e.detail)::text, 'UTF8'))
$$;

-- Rows written before this migration join the chain in the order they were written.
do $$
declare
    e pacs_audit_events;
    s bigint := 0;
    h bytea := decode(repeat('00', 32), 'hex');
begin
    for e in select * from pacs_audit_events order by event_key loop
        s := s + 1;
        e.chain_seq := s;
        e.prev_hash := h;
        h := pacs_audit_digest(h, e);
        update pacs_audit_events set chain_seq = s, prev_hash = e.prev_hash, row_hash = h where event_key = e.event_key;
    end loop;
    insert into pacs_audit_chain (id, seq, hash) values (1, s, h);
end
$$;

alter table pacs_audit_events
    alter column chain_seq set not null,
    alter column prev_hash set not null,
    alter column row_hash set not null,
    add constraint pacs_audit_events_chain_seq unique (chain_seq);

create index pacs_audit_events_actor on pacs_audit_events (actor, occurred_at);
create index pacs_audit_events_patient on pacs_audit_events (patient_id, occurred_at) where patient_id is not null;
create index pacs_audit_events_study on pacs_audit_events (study_instance_uid, occurred_at) where study_instance_uid is not null;

-- The first insert of a transaction locks the head row (held until the transaction ends) and reads it; the running
-- position is then kept in two transaction-local settings, and the head row is written once per statement (an
-- UPDATE per row would leave a chain of row versions that each next row has to walk: quadratic in the batch size).
create function pacs_audit_chain_insert() returns trigger
language plpgsql as $$
declare
    running text := current_setting('pacs.audit_seq', true);
    seq bigint;
    prev bytea;
begin
    if running is null or running = '' then
        select c.seq, c.hash into seq, prev from pacs_audit_chain c where c.id = 1 for update;
    else
        seq := running::bigint;
        prev := decode(current_setting('pacs.audit_hash'), 'hex');
    end if;
    new.occurred_at := coalesce(new.occurred_at, now());
    new.chain_seq := seq + 1;
    new.prev_hash := prev;
    new.row_hash := pacs_audit_digest(prev, new);
    perform set_config('pacs.audit_seq', new.chain_seq::text, true);
    perform set_config('pacs.audit_hash', encode(new.row_hash, 'hex'), true);
    return new;
end
$$;

create function pacs_audit_chain_advance() returns trigger
language plpgsql as $$
declare
    running text := current_setting('pacs.audit_seq', true);
begin
    if running is not null and running <> '' then
        update pacs_audit_chain set seq = running::bigint, hash = decode(current_setting('pacs.audit_hash'), 'hex') where id = 1;
    end if;
    return null;
end
$$;

create trigger pacs_audit_events_chain before insert on pacs_audit_events
    for each row execute function pacs_audit_chain_insert();
create trigger pacs_audit_events_chain_head after insert on pacs_audit_events
    for each statement execute function pacs_audit_chain_advance();

create function pacs_audit_refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception using errcode = 'PC010', message = 'pacs_audit_events is append-only';
end
$$;

create trigger pacs_audit_events_append_only before update or delete on pacs_audit_events
    for each row execute function pacs_audit_refuse_change();
create trigger pacs_audit_events_no_truncate before truncate on pacs_audit_events
    for each statement execute function pacs_audit_refuse_change();
create trigger pacs_audit_chain_append_only before delete on pacs_audit_chain
    for each row execute function pacs_audit_refuse_change();
create trigger pacs_audit_chain_no_truncate before truncate on pacs_audit_chain
    for each statement execute function pacs_audit_refuse_change();

-- One row: how many rows were checked and, when the chain is broken, the first broken row (by chain_seq) and why.
-- Broken means: a row whose content no longer gives its row_hash (edited), whose prev_hash is not its predecessor's
-- row_hash or whose chain_seq does not follow its predecessor's (rows removed or inserted), or a head that does not
-- match the last row (rows removed from the end).
create function pacs_audit_verify()
returns table (checked bigint, broken_seq bigint, broken_event_key bigint, reason text)
language sql stable as $$
    with walked as (
        select e.chain_seq, e.event_key, e.prev_hash, e.row_hash,
               pacs_audit_digest(e.prev_hash, e) as recomputed,
               lag(e.row_hash) over w as predecessor_hash,
               lag(e.chain_seq) over w as predecessor_seq
        from pacs_audit_events e
        window w as (order by e.chain_seq)
    ), broken as (
        select chain_seq, event_key,
               case
                   when chain_seq <> coalesce(predecessor_seq, 0) + 1 then 'row(s) missing before this one'
                   when prev_hash <> coalesce(predecessor_hash, decode(repeat('00', 32), 'hex')) then 'prev_hash is not the predecessor''s row_hash'
                   else 'row content does not match its row_hash'
               end as reason
        from walked
        where chain_seq <> coalesce(predecessor_seq, 0) + 1
           or prev_hash <> coalesce(predecessor_hash, decode(repeat('00', 32), 'hex'))
           or row_hash <> recomputed
        order by chain_seq
        limit 1
    ), last as (
        select chain_seq, event_key, row_hash from pacs_audit_events order by chain_seq desc limit 1
    )
    select (select count(*) from pacs_audit_events),
           coalesce(b.chain_seq, case when h.seq <> coalesce(l.chain_seq, 0) or h.hash <> coalesce(l.row_hash, decode(repeat('00', 32), 'hex'))
                                      then coalesce(l.chain_seq, 0) + 1 end),
           b.event_key,
           coalesce(b.reason, case when h.seq <> coalesce(l.chain_seq, 0) or h.hash <> coalesce(l.row_hash, decode(repeat('00', 32), 'hex'))
                                   then 'the chain head does not match the last row (rows missing at the end)' end)
    from pacs_audit_chain h
    left join broken b on true
    left join last l on true
    where h.id = 1
$$;
