-- Instance headers (DICOM JSON, a few KiB each) are compressed when stored out of line; lz4 costs a fraction of the
-- CPU of the default pglz, which showed in the profile of every stored instance. Applies to rows written from now
-- on. A server built without lz4 keeps pglz: this is about speed only.
do $$
begin
    alter table pacs_instances alter column header set compression lz4;
exception when others then
    raise notice 'lz4 compression unavailable (%): instance headers stay pglz-compressed', sqlerrm;
end
$$;
