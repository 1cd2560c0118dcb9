-- What each registered node may ask of the archive over DIMSE (store: C-STORE; find: C-FIND; retrieve: C-MOVE and
-- C-GET), enforced when the gateways admit registered calling AE titles only (Pacs:Dimse:CallingAePolicy).
alter table pacs_nodes
    add column services text[] not null default '{store,find,retrieve}'
        check (services <@ '{store,find,retrieve}'::text[]);
