"""Online shops (网店管理): platform shops on 淘宝/天猫, 拼多多, 抖店 and 有赞 drawing on the same stock
as the dealer mall — downloaded orders, SKU mapping, merge and split, waybills, shipping with the
tracking number written back, and every change of stock pushed to every shop."""
