-- The admin audit tab (GET /api/audit: newest first) and GET /api/audit/export (a time range, in time order) read the
-- trail by time: AuditTrail orders by (occurred_at, event_key) and pages with a keyset on the same pair, so one range
-- scan of this index serves a page whatever the table's size (the index on occurred_at alone left the planner to choose
-- between sorting the whole range and walking the primary key backwards through every newer row).
-- Only an index changes: the rows, their hash chain and the append-only triggers are untouched.
drop index pacs_audit_events_time;
create index pacs_audit_events_time on pacs_audit_events (occurred_at, event_key);
