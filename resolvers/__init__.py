"""Query resolvers, DataLoaders and pagination: the thin layer between the GraphQL types and db.queries."""
