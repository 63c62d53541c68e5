-- docker-compose only (development passwords): the owner role migrates, the application role serves and can
-- never rewrite a ledger. Runs once, as the image's superuser, when the data volume is first initialised.
create role custos_owner login password 'custos_owner';
create role custos_app login password 'custos_app';
alter database custos owner to custos_owner;
alter schema public owner to custos_owner;
