-- Issue 17 §3: new instances are hashed with BLAKE3 (about half SHA-256's CPU per byte); every row names the algorithm
-- its hash was made with, so rows indexed before keep 'sha256' and stay verifiable and deduplicable (the study grain
-- asks the ingest funnel for the SHA-256 of a resent copy of such an instance). The hash columns keep their name,
-- content_sha256, which every reader of the index knows: read them as "content hash, in content_hash_algorithm".
-- A constant default: no table rewrite, existing rows read 'sha256'.
alter table pacs_instances add column content_hash_algorithm text not null default 'sha256';
alter table pacs_instance_copies add column content_hash_algorithm text not null default 'sha256';
