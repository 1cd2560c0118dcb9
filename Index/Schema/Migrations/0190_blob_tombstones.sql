-- Issue 17 §3: new blobs need no intent row. The ingest funnel leaves an empty marker in the blob store's staging folder
-- until the study grain has answered; the reconciler discards the blob of a marker past the grace period that the
-- index does not use. A discarded key gets a tombstone first, under an exclusive advisory lock of its study folder;
-- the study batch takes that lock shared and refuses any key with a tombstone, so a commit that arrives after the
-- discard can never point at a deleted blob (what the intent's claim ensured before). Tombstones are pruned long after
-- any commit of their key could still arrive.
create table pacs_blob_tombstones (
    blob_key        text primary key,
    created_at      timestamptz not null default now()
);
create index pacs_blob_tombstones_created on pacs_blob_tombstones (created_at);
