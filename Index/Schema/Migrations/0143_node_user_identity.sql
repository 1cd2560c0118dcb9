-- Whether a registered node must also name an account by DICOM User Identity Negotiation (PS3.7 D.3.3.7) when it
-- associates: without one (or with one the accounts refuse) its association is rejected.
alter table pacs_nodes
    add column require_user_identity boolean not null default false;
