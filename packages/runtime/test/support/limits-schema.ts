import { buildSchema } from 'graphql';

/** A small schema with the shapes of the real one: connections with `first`, `_entities`, a plain list. */
export const limitsSchema = buildSchema(`
  scalar _Any
  union _Entity = Contact
  type Query {
    contacts(first: Int = 50, after: String): ContactConnection!
    contact(id: ID!): Contact
    _entities(representations: [_Any!]!): [_Entity]!
    tags: [Tag!]!
    companies(first: Int = 50): CompanyConnection!
  }
  type CompanyConnection { edges: [CompanyEdge!]! nodes: [Company!]! totalCount: Int! }
  type CompanyEdge { node: Company! }
  type Mutation { touch(id: ID!): Contact }
  type Tag { name: String! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type ContactConnection { edges: [ContactEdge!]! nodes: [Contact!]! pageInfo: PageInfo! totalCount: Int! }
  type ContactEdge { cursor: String! node: Contact! }
  type InteractionConnection { edges: [InteractionEdge!]! totalCount: Int! }
  type InteractionEdge { node: Interaction! }
  type Interaction { id: ID! subject: String contact: Contact }
  type Company { id: ID! name: String contacts(first: Int = 50): ContactConnection! }
  type Contact {
    id: ID! fullName: String email: String company: Company
    interactions(first: Int = 50): InteractionConnection!
  }
`);
