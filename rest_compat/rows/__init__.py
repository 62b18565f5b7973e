"""The /v1 endpoint table's rows, one module per domain; rest_compat/table.py puts them in order."""
