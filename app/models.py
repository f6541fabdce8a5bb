"""Every model of every context, in dependency order: what migrations must produce and tests create."""

from app.approval.models import MODELS as APPROVAL_MODELS
from app.auth.models import MODELS as AUTH_MODELS
from app.core.models import MODELS as CORE_MODELS
from app.field.models import MODELS as FIELD_MODELS
from app.integrations.models import MODELS as INTEGRATION_MODELS
from app.inventory.models import MODELS as INVENTORY_MODELS
from app.mall.models import MODELS as MALL_MODELS
from app.notify.models import MODELS as NOTIFY_MODELS
from app.payments.models import MODELS as PAYMENT_MODELS
from app.shops.models import MODELS as SHOP_MODELS

MODELS = [
    *CORE_MODELS,
    *AUTH_MODELS,
    *MALL_MODELS,
    *APPROVAL_MODELS,
    *FIELD_MODELS,
    *NOTIFY_MODELS,
    *INTEGRATION_MODELS,
    *SHOP_MODELS,
    *INVENTORY_MODELS,
    *PAYMENT_MODELS,
]
