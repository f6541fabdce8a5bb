"""The core order / stock / credit module (the ERP side): knows nothing of WeChat or HTTP."""
