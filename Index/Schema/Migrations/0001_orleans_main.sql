-- Orleans' ADO.NET providers (clustering, grain storage, reminders) keep no SQL of their own: at start
-- each one runs `SELECT QueryKey, QueryText FROM OrleansQuery` and later executes the text stored
-- under each key with named parameters (@DeploymentId, @GrainIdHash, ...). Result columns are read
-- by name, case-insensitively (Npgsql), so the aliases in the query texts below are the contract.
-- The table name and its two column names are fixed by the providers; everything else in these
-- migrations (table and column names, indexes) is ours.
CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);
