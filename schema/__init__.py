"""The GraphQL schema: strawberry types, inputs, connections, the scope table and the schema object."""
