-- Accounts and sessions (issue 12). Each table has one writer: pacs_accounts the user grain of the row, pacs_sessions
-- the session grain of the row (and the user grain when it revokes all of a user's sessions at once). The account
-- directory (list, search) reads pacs_accounts without activating grains.
create table pacs_accounts (
    username              text primary key check (username = lower(username) and length(username) between 1 and 64),
    display_name          text not null default '',
    email                 text not null default '',
    role                  text not null check (role in ('admin', 'doctor', 'operator')),
    language              text not null default 'en',
    access_groups         text[] not null default '{}',
    enabled               boolean not null default true,
    -- PHC string format: $argon2id$v=19$m=...,t=...,p=...$salt$hash (base64 without padding).
    password_hash         text not null,
    must_change_password  boolean not null default false,
    failed_attempts       integer not null default 0,
    locked_until          timestamptz,
    totp_secret           text,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now()
);

create table pacs_sessions (
    session_id            text primary key,
    username              text not null,
    role                  text not null,
    access_groups         text[] not null default '{}',
    issued_at             timestamptz not null,
    last_activity         timestamptz not null,
    idle_timeout_seconds  integer not null,
    expires_at            timestamptz not null,
    revoked_at            timestamptz,
    client_address        text not null default '',
    user_agent            text not null default '',
    refresh_hash          bytea
);
create index pacs_sessions_live_by_user on pacs_sessions (username) where revoked_at is null;
