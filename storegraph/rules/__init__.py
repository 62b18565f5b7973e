"""Domain rules shared by GraphQL, the REST layer and the worker: nothing here knows about HTTP or GraphQL."""
