-- docker-compose only (development passwords): the owner role migrates, the application role serves and can
-- never rewrite a ledger, the tickets role serves the tickets subgraph and cannot read `contact`, the gateway
-- role only writes the gateway's refusals into the audit trail. Runs once, as the image's superuser, when the
-- data volume is first initialised.
create role custos_owner login password 'custos_owner';
create role custos_app login password 'custos_app';
create role custos_tickets login password 'custos_tickets';
create role custos_gateway login password 'custos_gateway';
alter database custos owner to custos_owner;
alter schema public owner to custos_owner;
