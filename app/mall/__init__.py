"""The ordering mall: dealer accounts and bindings, invitations, carts, orders as dealers see them."""
