"""Reviews: a customer's review of a delivered order (create.py), and the merchant's moderation, response and
deletion of it (moderation.py)."""
