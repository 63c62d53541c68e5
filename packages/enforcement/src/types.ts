/** The schema types every Custos subgraph's builder uses (apps/subgraph's and apps/tickets'), for a given context. */
export interface SubgraphTypes<C extends object> {
  Context: C;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: string };
    Date: { Input: string; Output: string };
  };
  Directives: {
    pii: { locations: 'FIELD_DEFINITION'; args: { category: string } };
    policy: { locations: 'FIELD_DEFINITION'; args: { policies: string[][] } };
  };
  FederationPolicies: `purpose:${string}`;
  DefaultFieldNullability: false;
}
