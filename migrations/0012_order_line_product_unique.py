"""One line per product in an order (placing and adjusting already merge them): the sales report
counts a product's orders by its lines."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("sales_order_line", ("order_id", "product_id"), True))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("sales_order_line", "sales_order_line_order_id_product_id")
    )
