-- A study grain's batch is written in one round trip: one Npgsql batch, which PostgreSQL runs as one implicit
-- transaction (everything up to the extended protocol's Sync). The checks that used to need a round trip of their
-- own before the writes (is every blob intent still there? did every instance row land in this study?) raise an
-- error instead, which aborts the batch and rolls back everything in it.
--   PC001  a blob intent is missing (the reconciler expired it; its blob may be gone)
--   PC002  the SOP Instance UID is stored under another study (message: the SOP Instance UID)
create or replace function pacs_require(ok boolean, code text, message text) returns void
language plpgsql as $$
begin
    if not coalesce(ok, false) then
        raise exception using errcode = code, message = message;
    end if;
end
$$;
