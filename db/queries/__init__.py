"""All SQL lives here, one module per domain; resolvers and rules call these functions."""
