"""A shop order merged into another kept its amount after its lines had moved, so a list summed
it twice: a merged order's total is now that of its lines, none (0.00). Data only; written by
hand. Down cannot know the amounts it had and leaves them."""


def up(migrator, db):
    db.execute_sql("UPDATE shop_order SET total = 0 WHERE status = 'merged'")


def down(migrator, db):
    pass
