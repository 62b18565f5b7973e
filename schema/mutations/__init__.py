"""Mutations, one module per resource. Each validates through domain rules and reports expected failures as
``userErrors``; only the unexpected becomes a GraphQL error."""
