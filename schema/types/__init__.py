"""One module per object type. Leaf fields are plain attributes of the row the resolver returned."""
