-- Copies of an instance that are not the indexed one but are kept for an administrator (issue 13):
--   'conflict': different bytes sent for a stored SOP Instance UID under the keep-first policy, kept aside for
--               review (accept makes it the stored instance, discard deletes it); no expiry.
--   'replaced': the blob a replacement superseded (policy Replace, or an accepted conflict), restorable until
--               expires_at, then swept with its blob by the gateways' reconciler.
-- The blob of a copy is referenced here only (not by pacs_instances, not by pacs_blob_intents).
create table pacs_instance_copies (
    copy_id             bigint generated always as identity primary key,
    kind                text not null check (kind in ('conflict', 'replaced')),
    study_instance_uid  text not null,
    series_instance_uid text not null,
    sop_instance_uid    text not null,
    sop_class_uid       text not null,
    transfer_syntax_uid text not null,
    blob_key            text not null unique,
    blob_size           bigint not null,
    content_sha256      bytea not null,
    source              text not null default '',
    created_at          timestamptz not null default now(),
    expires_at          timestamptz
);
create index pacs_instance_copies_sop on pacs_instance_copies (sop_instance_uid);
create index pacs_instance_copies_expiry on pacs_instance_copies (expires_at) where expires_at is not null;
